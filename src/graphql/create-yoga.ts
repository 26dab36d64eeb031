import { createYoga, type Plugin } from 'graphql-yoga';
import type { Caller } from '../events/caller';
import type { IdentifyCaller } from '../auth/identify-caller';
import type { Logger } from '../observability/logger';
import { useReadinessEndpoint } from '../observability/use-readiness-endpoint';
import type { GraphQLContext } from './context';
import { graphQLError } from './errors';
import { useBadUserInputCode } from './use-bad-user-input-code';
import { useCompiledPublisherMutations } from './use-compiled-publisher-mutations';
import { useEventExecution } from './subscriptions/use-event-execution';
import { useParseFailureStatus } from './use-parse-failure-status';
import { renderLocalGraphiQL, useLocalGraphiQLAssets } from './use-local-graphiql';
import { createGraphQLSchema } from './schema';
import { useRequestBodyLimit } from './use-request-body-limit';
import type { ResolverDependencies } from './resolvers/resolver-dependencies';

export const GRAPHQL_PATH = '/graphql';

export interface YogaOptions {
  readonly resolverDependencies: ResolverDependencies;
  readonly identifyCaller: IdentifyCaller;
  readonly logger: Logger;
  readonly graphiql: false | { readonly headers?: Record<string, string>; readonly defaultQuery?: string };
  readonly isReady: () => boolean;
  readonly plugins: readonly Plugin[];
}

/** Set by the transports that identified the caller themselves (the subscription pipeline, the HTTP mutation path). */
interface ServerContext {
  readonly caller?: Caller;
}

export type YogaServer = ReturnType<typeof createYogaServer>;

export function createYogaServer(options: YogaOptions) {
  const log = options.logger.child({ component: 'yoga' });
  const identifiedContext = async (authorization: string | null): Promise<GraphQLContext> => {
    const identified = await options.identifyCaller(authorization);
    if (identified.kind === 'invalid') throw graphQLError('UNAUTHENTICATED', `The token is not valid: ${identified.reason}.`, 401);
    return { caller: identified };
  };
  return createYoga<ServerContext, GraphQLContext>({
    schema: createGraphQLSchema(options.resolverDependencies),
    graphqlEndpoint: GRAPHQL_PATH,
    healthCheckEndpoint: '/healthz',
    landingPage: false,
    maskedErrors: true,
    // Replaced by useRequestBodyLimit (same limit and errors, without a stream per request).
    maxRequestBodySize: false,
    logging: {
      debug: (...args) => log.debug(args.map(String).join(' ')),
      info: (...args) => log.info(args.map(String).join(' ')),
      warn: (...args) => log.warn(args.map(String).join(' ')),
      error: (...args) => log.error({ err: args.find((arg) => arg instanceof Error) }, args.map(String).join(' ')),
    },
    graphiql: options.graphiql && {
      title: 'MechaMap Realtime',
      subscriptionsProtocol: 'WS',
      headers: options.graphiql.headers ? JSON.stringify(options.graphiql.headers, null, 2) : undefined,
      defaultQuery: options.graphiql.defaultQuery,
    },
    // GraphiQL's scripts and styles come from this service, not a CDN: it works offline.
    renderGraphiQL: renderLocalGraphiQL,
    // Not async: a caller identified by the transport needs no turn of the microtask queue.
    context: ({ request, caller }) => (caller ? { caller } : identifiedContext(request.headers.get('authorization'))),
    plugins: [
      useReadinessEndpoint(options.isReady),
      useParseFailureStatus(),
      useCompiledPublisherMutations(),
      useEventExecution(),
      useBadUserInputCode(),
      ...(options.graphiql ? [useLocalGraphiQLAssets()] : []),
      ...options.plugins,
      useRequestBodyLimit(),
    ],
  });
}
