import { subscriptionExchange, type Exchange } from '@urql/core';
import type { RealtimeClient } from './realtime-client.js';

/**
 * An urql exchange that runs subscriptions over the realtime client (reconnecting, token
 * renewal, resume); with `allOperations`, queries and mutations too (then no fetchExchange is needed).
 */
export function realtimeExchange(client: RealtimeClient, { allOperations = false } = {}): Exchange {
  return subscriptionExchange({
    enableAllOperations: allOperations,
    forwardSubscription: (request) => ({
      subscribe: (sink) => ({
        unsubscribe: client.subscribe(
          { query: request.query ?? '', variables: request.variables, operationName: request.operationName },
          { next: (result) => sink.next(result), error: (error) => sink.error(error), complete: () => sink.complete() },
        ),
      }),
    }),
  });
}
