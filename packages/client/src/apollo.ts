import { CombinedGraphQLErrors } from '@apollo/client/errors';
import { ApolloLink } from '@apollo/client/link';
import { Observable } from 'rxjs';
import type { RealtimeClient } from './realtime-client.js';

/**
 * A terminating Apollo link that runs operations over the realtime client (what
 * `GraphQLWsLink` does over a bare graphql-ws client, with the reconnecting, token renewal and
 * resume of this package). Usually the subscription branch of a `split` with an HTTP link.
 */
export function createRealtimeLink(client: RealtimeClient): ApolloLink {
  return new ApolloLink(
    (operation) =>
      new Observable<ApolloLink.Result>((observer) =>
        client.subscribe(
          { query: operation.query, variables: operation.variables, operationName: operation.operationName },
          {
            next: (result) => observer.next(result as ApolloLink.Result),
            error: (error) => observer.error(error instanceof Error ? error : new CombinedGraphQLErrors({ errors: error })),
            complete: () => observer.complete(),
          },
        ),
      ),
  );
}
