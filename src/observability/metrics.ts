import { EventEmitter } from 'node:events';
import { readdir } from 'node:fs/promises';
import type { Cluster, Redis } from 'ioredis';
import type { AuthFailureReason } from '../events/caller';
import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client';
import { CountedHistogram } from './counted-histogram';
import { registerLoopDelayMax } from './loop-delay';
import { closeCodeLabel, errorCodeLabel } from './label-values';

export type SubscriptionField = 'notification' | 'forumActivity' | 'threadViewers' | 'typing';
/** Which of Laravel's broadcasters a message came through (src/laravel/). */
export type LaravelSource = 'redis' | 'pusher';
/** What became of a message from Laravel. */
export type LaravelOutcome = 'published' | 'duplicate' | 'unknown_channel' | 'unknown_event' | 'malformed' | 'too_large' | 'unavailable';
/** What Laravel answered a channel authorization (LARAVEL_AUTH_URL). */
export type LaravelAuthOutcome = 'allowed' | 'refused' | 'unavailable';

export type { AuthFailureReason };
/**
 * What a Redis connection is for, as the code that makes it names it (`bus`, `history`,
 * `presence`, `laravel`): a small fixed set, never anything from a request.
 */
export type RedisRole = string;
/** Follows a Redis client's connection state under a role; returns the undo. */
export type WatchRedisClient = (client: Redis | Cluster, role: RedisRole) => () => void;

/**
 * Delivery latency buckets: fine from 1 to 100 ms, where the 50 ms promise is kept or broken
 * (50 ms is a bound, so "p99 over 50 ms" is exact), then coarse up to a stall of seconds.
 */
export const DELIVERY_LATENCY_BUCKETS = [0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06, 0.075, 0.1, 0.25, 0.5, 1, 2.5];

/** What the admin view's heartbeat reads from a process's metrics. */
export interface ProcessSnapshot {
  readonly connections: number;
  readonly subscriptions: number;
  readonly deliveredTotal: number;
  /** [upper bound in seconds, deliveries at most that late so far], ascending, ending with Infinity. */
  readonly latencyBuckets: ReadonlyArray<readonly [number, number]>;
}

/** prom-client default metrics whose cost grows with the number of open sockets. */
const PER_HANDLE_DEFAULT_METRICS = [
  'nodejs_active_handles',
  'nodejs_active_handles_total',
  'nodejs_active_requests',
  'nodejs_active_requests_total',
  'nodejs_active_resources',
  'nodejs_active_resources_total',
];

/**
 * The service's Prometheus metrics, on a registry of its own so that several apps in one
 * process (as in the tests) never share counters.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // These list every socket and timer of the process on each scrape (twice each): at 10,000
  // connections a scrape blocked the event loop for ~90 ms. realtime_websocket_connections
  // tells what they would.
  for (const perHandle of PER_HANDLE_DEFAULT_METRICS) registry.removeSingleMetric(perHandle);
  // prom-client counts open files with a synchronous readdir: ~35 ms of blocked loop per
  // scrape at 10,000 sockets. The same count, read on libuv's thread pool.
  if (registry.getSingleMetric('process_open_fds')) {
    registry.removeSingleMetric('process_open_fds');
    new Gauge({
      name: 'process_open_fds',
      help: 'Number of open file descriptors.',
      registers: [registry],
      async collect() {
        const descriptors = await readdir('/proc/self/fd').catch(() => null);
        // Minus the descriptor readdir itself opened.
        if (descriptors) this.set(descriptors.length - 1);
      },
    });
  }

  const stopLoopDelayProbe = registerLoopDelayMax(registry);

  const connections = new Gauge({ name: 'realtime_websocket_connections', help: 'Open WebSocket connections', registers: [registry] });
  const subscriptions = new Gauge({
    name: 'realtime_active_subscriptions',
    help: 'Live subscriptions, by field (counted once the bus confirms them)',
    labelNames: ['field'],
    registers: [registry],
  });
  const published = new Counter({
    name: 'realtime_events_published_total',
    help: 'Events accepted for publishing, by kind',
    labelNames: ['kind'],
    registers: [registry],
  });
  const delivered = new Counter({
    name: 'realtime_events_delivered_total',
    help: 'Events handed to a subscriber, by field',
    labelNames: ['field'],
    registers: [registry],
  });
  const laravelMessages = new Counter({
    name: 'realtime_laravel_messages_total',
    help: "Messages from Laravel's broadcasters, by source (redis, pusher) and outcome (published, duplicate: another process published it, unknown_channel, unknown_event, malformed, too_large, unavailable)",
    labelNames: ['source', 'outcome'],
    registers: [registry],
  });
  const certificateExpiry = new Gauge({
    name: 'realtime_tls_certificate_expiry_timestamp_seconds',
    help: 'When the TLS certificate being served stops being valid (Unix time), with TLS_CERT_FILE or ACME_DOMAINS; across workers, the soonest',
    aggregator: 'min',
    registers: [registry],
  });
  const acmeFailures = new Counter({
    name: 'realtime_acme_failures_total',
    help: 'Failed attempts to obtain or renew the TLS certificate (or to read its store), with ACME_DOMAINS',
    registers: [registry],
  });
  const laravelAuthAnswers = new Counter({
    name: 'realtime_laravel_auth_requests_total',
    help: 'Channel authorizations asked of Laravel (LARAVEL_AUTH_URL), by outcome (allowed, refused, unavailable: another status, a timeout, no connection)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const laravelAuthUnavailable = new Gauge({
    name: 'realtime_laravel_auth_unavailable',
    help: "1 while Laravel's last channel authorization answer was unavailable (private and presence channels fail closed), else 0",
    registers: [registry],
  });
  const latency = new CountedHistogram(
    'realtime_delivery_latency_seconds',
    'Time from an event being accepted to it being handed to a subscriber',
    'field',
    DELIVERY_LATENCY_BUCKETS,
  );
  // prom-client's types name only its own classes; its registry asks a metric for name, help, type, aggregator and get().
  registry.registerMetric(latency as unknown as Metric);
  const connectionsOpened = new Counter({
    name: 'realtime_websocket_connections_opened_total',
    help: 'WebSocket connections accepted (upgraded), whatever became of them',
    registers: [registry],
  });
  const closes = new Counter({
    name: 'realtime_websocket_closes_total',
    help: 'WebSocket connections closed, by close code (known codes, else "other")',
    labelNames: ['code'],
    registers: [registry],
  });
  const connectionFailures = new Counter({
    name: 'realtime_websocket_connection_failures_total',
    help: 'WebSocket connections that closed before their connection_init was acknowledged, other than by the client going away (1000, 1001, 1005), by close code',
    labelNames: ['code'],
    registers: [registry],
  });
  const slowConsumerCuts = new Counter({
    name: 'realtime_slow_consumer_disconnects_total',
    help: 'WebSocket connections closed (1008) because the client did not read what it was sent',
    registers: [registry],
  });
  const authFailures = new Counter({
    name: 'realtime_auth_failures_total',
    help: 'Requests and connections refused for their token, by reason (bad_signature, expired, issuer_audience, malformed)',
    labelNames: ['reason'],
    registers: [registry],
  });
  // Every reason from the start, so that a rate over them is 0 rather than absent.
  for (const reason of ['bad_signature', 'expired', 'issuer_audience', 'malformed'] satisfies AuthFailureReason[]) authFailures.inc({ reason }, 0);
  const publishOutcomes = new Counter({
    name: 'realtime_publish_outcomes_total',
    help: "Publish mutations answered, by mutation field and outcome (OK, or the error's extensions.code)",
    labelNames: ['field', 'code'],
    registers: [registry],
  });
  const replays = new Counter({
    name: 'realtime_replays_total',
    help: 'Notification subscriptions that asked to resume (`after`) and were served the retained history',
    registers: [registry],
  });
  const replayed = new Counter({
    name: 'realtime_notifications_replayed_total',
    help: 'Retained notifications read for resuming subscribers',
    registers: [registry],
  });
  const redisConnected = new Gauge({
    name: 'realtime_redis_connected',
    help: 'Whether every Redis connection of the role is ready (1) or not (0); across workers, the least connected',
    labelNames: ['role'],
    aggregator: 'min',
    registers: [registry],
  });
  const redisReconnects = new Counter({
    name: 'realtime_redis_reconnects_total',
    help: 'Times a Redis connection of the role was lost and began reconnecting',
    labelNames: ['role'],
    registers: [registry],
  });
  let isReady = () => false;
  new Gauge({
    name: 'realtime_ready',
    help: 'Whether the process is ready (1: /readyz answers 200) or not (0: 503); across workers, the least ready',
    aggregator: 'min',
    registers: [registry],
    collect() {
      this.set(isReady() ? 1 : 0);
    },
  });

  // Label children looked up once: prom-client hashes the labels object on every inc/observe.
  const childOf = <Child>(make: (label: string) => Child) => {
    const children = new Map<string, Child>();
    return (label: string): Child => {
      let child = children.get(label);
      if (child === undefined) children.set(label, (child = make(label)));
      return child;
    };
  };
  const publishedOf = childOf((kind) => published.labels({ kind }));
  const deliveredOf = childOf((field) => delivered.labels({ field }));
  const closesOf = childOf((code) => closes.labels({ code }));
  const failuresOf = childOf((code) => connectionFailures.labels({ code }));
  const outcomeOf = childOf((key) => {
    const [field, code] = key.split('\u0000') as [string, string];
    return publishOutcomes.labels({ field, code });
  });

  /** Every Redis client watched, by role: a role is connected when all of its clients are. */
  const redisClients = new Map<RedisRole, Set<Redis | Cluster>>();
  const updateRedisRole = (role: RedisRole) => {
    const clients = [...(redisClients.get(role) ?? [])];
    redisConnected.set({ role }, clients.length > 0 && clients.every((client) => client.status === 'ready') ? 1 : 0);
  };

  const liveByField = new Map<SubscriptionField, number>();
  const startedByField = new Map<SubscriptionField, number>();
  const changes = new EventEmitter();
  const adjustLive = (field: SubscriptionField, delta: number) => {
    liveByField.set(field, (liveByField.get(field) ?? 0) + delta);
    if (delta > 0) startedByField.set(field, (startedByField.get(field) ?? 0) + delta);
    subscriptions.inc({ field }, delta);
    changes.emit('change');
  };

  return {
    registry,
    stop: stopLoopDelayProbe,
    connectionOpened() {
      connections.inc();
      connectionsOpened.inc();
    },
    /** A WebSocket closed with `code`; `acknowledged`: its connection_init had been accepted. */
    connectionClosed(code: number, acknowledged: boolean) {
      connections.dec();
      const label = closeCodeLabel(code);
      closesOf(label).inc();
      if (!acknowledged && code !== 1000 && code !== 1001 && code !== 1005) failuresOf(label).inc();
    },
    slowConsumerCut: () => slowConsumerCuts.inc(),
    authFailed: (reason: AuthFailureReason) => authFailures.inc({ reason }),
    /** A publish mutation's root `field` was answered: `code` is null on success, else its error's extensions.code. */
    publishAnswered: (field: string, code: string | null) => outcomeOf(`${field}\u0000${code === null ? 'OK' : errorCodeLabel(code)}`).inc(),
    /** A resuming subscriber was served `count` retained notifications. */
    replayServed(count: number) {
      replays.inc();
      replayed.inc(count);
    },
    /**
     * Follows `client`'s connection state under `role` until the returned undo is called (when
     * the client is closed). Call it for every Redis client the process creates.
     */
    watchRedisClient: ((client, role) => {
      let clients = redisClients.get(role);
      if (!clients) redisClients.set(role, (clients = new Set()));
      clients.add(client);
      redisReconnects.inc({ role }, 0); // 0, not absent, until the first reconnect
      const update = () => updateRedisRole(role);
      const reconnecting = () => {
        redisReconnects.inc({ role });
        update();
      };
      const events = ['ready', 'close', 'end', 'connect', 'wait'] as const;
      for (const event of events) client.on(event, update);
      client.on('reconnecting', reconnecting);
      update();
      return () => {
        for (const event of events) client.off(event, update);
        client.off('reconnecting', reconnecting);
        clients.delete(client);
        update();
      };
    }) as WatchRedisClient,
    /** Where `realtime_ready` reads readiness from: what /readyz answers by. */
    reportReadiness(ready: () => boolean) {
      isReady = ready;
    },
    subscriptionStarted: (field: SubscriptionField) => adjustLive(field, 1),
    subscriptionEnded: (field: SubscriptionField) => adjustLive(field, -1),
    /** `delta` subscriptions of `field` became live (positive) or ended (negative) at once. */
    subscriptionsChanged: (field: SubscriptionField, delta: number) => delta !== 0 && adjustLive(field, delta),
    /** `count` events of `kind` were accepted (a batch counts each of its events). */
    eventPublished: (kind: 'notification' | 'forum_activity' | 'typing', count = 1) => publishedOf(kind).inc(count),
    /** `count` subscribers were handed the event at once (one shared execution). */
    eventDelivered(field: SubscriptionField, publishedAtMs: number, count = 1) {
      if (count <= 0) return;
      deliveredOf(field).inc(count);
      latency.observe(field, Math.max(0, Date.now() - publishedAtMs) / 1000, count);
    },
    laravelMessage: (source: LaravelSource, outcome: LaravelOutcome) => laravelMessages.inc({ source, outcome }),
    tlsCertificateServed: (notAfterMs: number) => certificateExpiry.set(notAfterMs / 1000),
    acmeFailed: () => acmeFailures.inc(),
    laravelAuthAnswer(outcome: LaravelAuthOutcome) {
      laravelAuthAnswers.inc({ outcome });
      laravelAuthUnavailable.set(outcome === 'unavailable' ? 1 : 0);
    },
    liveSubscriptions: (field: SubscriptionField) => liveByField.get(field) ?? 0,
    /** This process's counts as the admin view shows them: totals only grow, the buckets are cumulative. */
    async snapshot(): Promise<ProcessSnapshot> {
      const [open, handed, latencies] = await Promise.all([connections.get(), delivered.get(), latency.get()]);
      const buckets = new Map<number, number>();
      for (const { metricName, labels, value } of latencies.values) {
        if (metricName !== 'realtime_delivery_latency_seconds_bucket') continue;
        const bound = labels['le'];
        const le = bound === '+Inf' ? Infinity : Number(bound);
        buckets.set(le, (buckets.get(le) ?? 0) + value);
      }
      return {
        connections: open.values[0]?.value ?? 0,
        subscriptions: [...liveByField.values()].reduce((sum, live) => sum + live, 0),
        deliveredTotal: handed.values.reduce((sum, { value }) => sum + value, 0),
        latencyBuckets: [...buckets].sort(([a], [b]) => a - b),
      };
    },
    /** How many subscriptions of `field` have ever become live: it only grows. */
    startedSubscriptions: (field: SubscriptionField) => startedByField.get(field) ?? 0,
    /** Calls `listener` whenever a subscription becomes live or ends; returns the undo. */
    onSubscriptionsChanged(listener: () => void): () => void {
      changes.on('change', listener);
      return () => changes.off('change', listener);
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
