import { EventEmitter } from 'node:events';
import { readdir } from 'node:fs/promises';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerLoopDelayMax } from './loop-delay';

export type SubscriptionField = 'notification' | 'forumActivity' | 'threadViewers' | 'typing';
/** Which of Laravel's broadcasters a message came through (src/laravel/). */
export type LaravelSource = 'redis' | 'pusher';
/** What became of a message from Laravel. */
export type LaravelOutcome = 'published' | 'duplicate' | 'unknown_channel' | 'unknown_event' | 'malformed' | 'too_large' | 'unavailable';
/** What Laravel answered a channel authorization (LARAVEL_AUTH_URL). */
export type LaravelAuthOutcome = 'allowed' | 'refused' | 'unavailable';

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
    help: 'When the TLS certificate in service expires (Unix time), with ACME_DOMAINS',
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
  const latency = new Histogram({
    name: 'realtime_delivery_latency_seconds',
    help: 'Time from an event being accepted to it being handed to a subscriber',
    labelNames: ['field'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
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
  const latencyOf = childOf((field) => latency.labels({ field }));

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
    connectionOpened: () => connections.inc(),
    connectionClosed: () => connections.dec(),
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
      const seconds = Math.max(0, Date.now() - publishedAtMs) / 1000;
      const observed = latencyOf(field);
      for (let i = 0; i < count; i += 1) observed.observe(seconds);
    },
    laravelMessage: (source: LaravelSource, outcome: LaravelOutcome) => laravelMessages.inc({ source, outcome }),
    tlsCertificateServed: (notAfterMs: number) => certificateExpiry.set(notAfterMs / 1000),
    acmeFailed: () => acmeFailures.inc(),
    laravelAuthAnswer(outcome: LaravelAuthOutcome) {
      laravelAuthAnswers.inc({ outcome });
      laravelAuthUnavailable.set(outcome === 'unavailable' ? 1 : 0);
    },
    liveSubscriptions: (field: SubscriptionField) => liveByField.get(field) ?? 0,
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
