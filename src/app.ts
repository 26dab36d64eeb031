import { randomUUID } from 'node:crypto';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { readFileSync } from 'node:fs';
import { countingAuthFailures, createCallerIdentifier } from './auth/identify-caller';
import { createPublisherTokenMatcher } from './auth/publisher-token';
import { createUserTokenVerifier } from './auth/user-token';
import type { Config } from './config/config';
import { createYogaServer, GRAPHQL_PATH } from './graphql/create-yoga';
import { subscriptionSharing } from './graphql/schema';
import type { ResolverDependencies } from './graphql/resolvers/resolver-dependencies';
import { createSubscriptionPipeline, type SubscriptionHooks } from './graphql/subscriptions/pipeline';
import { useQueryLimits } from './graphql/use-query-limits';
import type { Logger } from './observability/logger';
import { createMetrics } from './observability/metrics';
import { useMetricsEndpoint } from './observability/use-metrics-endpoint';
import { createThreadState } from './threads/create-thread-state';
import { createRedisClients } from './redis/redis-clients';
import { openSharedState } from './redis/shared-state';
import { usePublishOutcomes } from './observability/use-publish-outcomes';
import { countingReplays } from './observability/counting-replays';
import { certificateNotAfterMs } from './observability/certificate-expiry';
import { createDelivery } from './history/create-delivery';
import { createLaravelBridge } from './laravel/create-laravel-bridge';
import { createLaravelChannelAccess } from './graphql/laravel-channel-access';
import { attachGraphQLWebSocket } from './transport/graphql-ws-server';
import { createHttpServer } from './transport/http-server';
import { withMutationFastPath } from './transport/http-mutation-fast-path';
import { createDocumentCache } from './graphql/document-cache';
import { createTurnTaker } from './lib/event-loop-turns';
import { MAX_REQUEST_BODY_BYTES } from './graphql/use-request-body-limit';
import { reloadTlsOnChange } from './transport/tls-reloader';
import { createSseWriter } from './transport/sse-writer';
import { withSseSubscriptions } from './transport/sse-subscriptions';
import { createReservationTokens } from './transport/sse/reservation-token';
import { createSingleConnectionStreams } from './transport/sse/single-connection-streams';
import { createStreamHandOver } from './graphql/stream-hand-over';
import { createGraphQLSseHandler, isGraphQLSseRequest } from './transport/sse/graphql-sse-handler';
import { createAcmeTls } from './tls/create-acme-tls';
import { createAdminView } from './admin/create-admin-view';

/**
 * Publishes over HTTP wait while more notification deliveries than this are queued in the
 * process (~100 ms of work): an overloaded process slows its publishers down instead of
 * queueing without bound.
 */
const MAX_QUEUED_DELIVERIES = 1000;

/**
 * How long work that comes in bursts (subscribes, deliveries, publishes) may hold the event
 * loop before it lets timers and other sockets in.
 */
const WORK_SLICE_MS = 10;

/** Idle event streams get a comment line this often, as Yoga's did. */
const SSE_PING_INTERVAL_MS = 12_000;

/** Close code 1012 (Service Restart): the client should reconnect, to this process or another. */
export const RESTART_CLOSE_CODE = 1012;
export interface AppOptions {
  readonly logger: Logger;
  /** How long `start` waits for the event bus before serving anyway (not ready). */
  readonly busConnectTimeoutMs?: number;
  /** Headers GraphiQL opens with, e.g. a development token. */
  readonly graphiqlHeaders?: Record<string, string>;
  /** Decisions made outside the service, for every subscription on every transport (see `SubscriptionHooks`). */
  readonly subscriptionHooks?: SubscriptionHooks;
  /** Keep each subscriber's bearer token for the hooks (`Subscriber.bearerToken`); nothing is kept otherwise. */
  readonly keepBearerTokens?: boolean;
  /** Renders /metrics for the registry given; a worker answers its whole group's (WORKERS). */
  readonly renderMetrics?: (registry: Registry) => () => Promise<string>;
}

export interface StartedApp {
  readonly url: string;
  readonly port: number;
}

/** The composition root: builds everything from the config, with no side effect until `start`. */
export function createApp(
  config: Config,
  { logger, graphiqlHeaders, renderMetrics, busConnectTimeoutMs = 5000, subscriptionHooks, keepBearerTokens }: AppOptions,
) {
  const metrics = createMetrics();
  const redisClients = createRedisClients(logger, metrics.watchRedisClient);
  const shared = openSharedState(config.bus, redisClients);
  const delivery = createDelivery(shared, config.replay, logger);
  const { bus } = delivery;
  const history = countingReplays(delivery.history, metrics.replayServed);
  const threads = createThreadState(shared, logger);
  // LARAVEL_AUTH_URL: routes/channels.php decides private and presence channels (the pipeline's hooks).
  const laravelAccess = config.laravel?.auth && createLaravelChannelAccess({ config: config.laravel.auth, channelMap: config.channelMap, metrics, logger });
  const identifyUser = createCallerIdentifier(createUserTokenVerifier(config.jwt), createPublisherTokenMatcher(config.publisherTokens));
  const identifyCaller = laravelAccess ? laravelAccess.rememberingTokens(identifyUser) : identifyUser;
  /** For every place where a refused token becomes the answer; the fast path and the SSE route hand those to Yoga. */
  const identifyCountingFailures = countingAuthFailures(identifyCaller, metrics.authFailed);

  const laravel =
    config.laravel &&
    createLaravelBridge(config.laravel, {
      bus,
      history,
      metrics,
      nextForumActivityId: randomUUID,
      maxPayloadBytes: config.maxPayloadBytes,
      logger,
      shared,
      redisClients,
    });

  const admin = config.admin && createAdminView(config.admin, shared, { history, metrics, logger });

  let stopping = false;
  const isReady = () => !stopping && bus.isConnected();
  metrics.reportReadiness(isReady);
  const resolverDependencies: ResolverDependencies = {
    bus,
    metrics,
    maxPayloadBytes: config.maxPayloadBytes,
    history,
    nextForumActivityId: randomUUID,
    presence: threads.presence,
    typingSlots: threads.typingSlots,
    visibilities: threads.visibilities,
    channelMap: config.channelMap,
    laravelAccess,
  };
  const yoga = createYogaServer({
    resolverDependencies,
    identifyCaller: identifyCountingFailures,
    logger,
    graphiql: config.graphiql && { headers: graphiqlHeaders },
    isReady,
    plugins: [
      useMetricsEndpoint(metrics.registry, renderMetrics?.(metrics.registry)),
      ...useQueryLimits(config.limits),
      ...(laravel?.plugins ?? []),
      ...(admin ? [admin.plugin] : []),
      usePublishOutcomes(metrics.publishAnswered),
    ],
  });

  const documents = createDocumentCache();
  const takeTurnIfBusy = createTurnTaker(WORK_SLICE_MS);
  const sharing = subscriptionSharing(resolverDependencies);
  const pipeline = createSubscriptionPipeline({
    yoga,
    documents,
    sharing: laravelAccess?.sharing(sharing) ?? sharing,
    metrics,
    bus,
    history,
    takeTurnIfBusy,
    hooks: laravelAccess?.hooks ?? subscriptionHooks,
  });
  const mutations = withMutationFastPath({
    yoga,
    path: GRAPHQL_PATH,
    identifyCaller,
    documents,
    maxBodyBytes: MAX_REQUEST_BODY_BYTES,
    logger,
    admit: () => pipeline.whenDeliveriesBelow(MAX_QUEUED_DELIVERIES) ?? takeTurnIfBusy(),
  });
  const sseWriter = createSseWriter({
    pingIntervalMs: SSE_PING_INTERVAL_MS,
    maxBufferedBytes: config.limits.maxBufferedBytes,
    onSlowConsumer: (bufferedBytes) => {
      logger.warn({ bufferedBytes }, 'closing an event stream that does not read what it is sent');
      metrics.slowConsumerCut();
    },
  });
  const graphqlHttp = withSseSubscriptions({
    path: GRAPHQL_PATH,
    pipeline,
    identifyCaller,
    writer: sseWriter,
    keepBearerToken: keepBearerTokens,
    maxBodyBytes: MAX_REQUEST_BODY_BYTES,
    logger,
    next: (request, response, body) => (body === undefined ? mutations(request, response) : void yoga(Object.assign(request, { body }), response)),
  });
  const streamHandOver = createStreamHandOver({ bus, acrossProcesses: config.bus.kind !== 'memory', logger });
  const sseStreams = createSingleConnectionStreams({
    handOver: streamHandOver,
    pipeline,
    writer: sseWriter,
    maxOperationsPerStream: config.limits.maxSubscriptionsPerConnection,
    logger,
  });
  const graphqlSse = createGraphQLSseHandler({
    graphqlPath: GRAPHQL_PATH,
    graphql: graphqlHttp,
    identifyCaller,
    tokens: createReservationTokens(config.jwt.secret),
    streams: sseStreams,
    maxBodyBytes: MAX_REQUEST_BODY_BYTES,
    keepBearerToken: keepBearerTokens,
    logger,
  });
  const server = createHttpServer(
    (request, response) => (isGraphQLSseRequest(request.url) ? graphqlSse : graphqlHttp)(request, response),
    config.tls ?? (config.acme && 'deferred'),
  );
  const certificateLoaded = (cert: Buffer) => metrics.tlsCertificateServed(certificateNotAfterMs(cert));
  if (config.tls) certificateLoaded(readFileSync(config.tls.certFile));
  const stopTlsReload = config.tls ? reloadTlsOnChange(server as Server, config.tls, logger, certificateLoaded) : () => {};
  const acme =
    config.acme && createAcmeTls({ acme: config.acme, bus: shared, server: server as Server, httpsPort: config.port, host: config.host, metrics, logger });
  const webSocket = attachGraphQLWebSocket({
    server,
    path: GRAPHQL_PATH,
    pipeline,
    identifyCaller: identifyCountingFailures,
    metrics,
    logger,
    maxFrameBytes: config.maxFrameBytes,
    limits: config.limits,
    takeTurnIfBusy,
    keepBearerToken: keepBearerTokens,
  });

  async function start(): Promise<StartedApp> {
    await bus.whenConnected(busConnectTimeoutMs).catch((error: Error) => {
      logger.warn({ err: error.message }, 'starting while the event bus is not connected; /readyz answers 503 until it is');
    });
    await laravel?.start(busConnectTimeoutMs);
    await acme?.start();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    admin?.start();
    const { port } = server.address() as AddressInfo;
    const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    const url = `${config.tls || config.acme ? 'https' : 'http'}://${host}:${port}${GRAPHQL_PATH}`;
    logger.info({ url, bus: config.bus.kind }, 'listening');
    return { url, port };
  }

  /**
   * Graceful: unready at once, no new connections, every socket told to reconnect elsewhere
   * (1012), requests in flight (publishes) finished; streams that never finish by themselves
   * (SSE) are cut after `drainMs`.
   */
  async function stop(drainMs = 3000): Promise<void> {
    stopping = true;
    stopTlsReload();
    await acme?.stop();
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    await webSocket.close(RESTART_CLOSE_CODE, 'Server restarting');
    sseWriter.close();
    sseStreams.close();
    await streamHandOver.close();
    const cutStreams = setTimeout(() => {
      server.closeAllConnections();
      sseWriter.cutStreams();
    }, drainMs);
    await drained;
    clearTimeout(cutStreams);
    await admin?.stop();
    await laravel?.close();
    await laravelAccess?.close();
    await threads.close();
    await bus.close();
    await yoga.dispose();
    metrics.stop();
  }

  /** Distinct shared subscription executions running now, over every transport (for tests and diagnostics). */
  const sharedExecutionCount = () => pipeline.sharedExecutionCount();

  return { start, stop, metrics, sharedExecutionCount, redisClients };
}

export type App = ReturnType<typeof createApp>;
