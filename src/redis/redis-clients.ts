import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { describeTopology, type RedisTopology } from './redis-topology';

/** A connection to Redis however it is run: one server or Sentinel's master (`Redis`), or a `Cluster`. */
export type RedisClient = Redis | Cluster;

/**
 * What a connection is for: its name in logs, in Redis's CLIENT LIST and in metrics.
 * `commands` carries the bus's publishes and the notification history (one connection, so
 * that what one process publishes keeps its order); `threads` carries presence, typing slots
 * and thread visibility; `laravel-subscriber` is on Laravel's Redis.
 */
export type RedisRole = 'commands' | 'subscriber' | 'threads' | 'laravel-subscriber' | 'laravel-claims' | 'acme' | 'admin';

export interface RedisClientOptions {
  /** Connect only on `client.connect()`. */
  readonly lazy?: boolean;
  /** Commands wait while the connection is being made instead of failing (for work that may wait, such as certificates). */
  readonly queueWhileConnecting?: boolean;
}

/** Connections to one Redis (the service's own, or Laravel's). */
export interface RedisConnector {
  readonly topology: RedisTopology;
  /**
   * A connection for commands. It fails fast while disconnected (no offline queue, one retry)
   * instead of queueing, so nothing is ever reported as done that Redis has not taken.
   */
  forCommands(role: RedisRole, options?: RedisClientOptions): RedisClient;
  /** A connection for subscribing: it waits through an outage and resubscribes by itself. */
  forSubscribing(role: RedisRole, options?: RedisClientOptions): RedisClient;
}

export interface RedisClients {
  /** Makes connections to the Redis at `topology`. */
  at(topology: RedisTopology): RedisConnector;
  /** Every connection made so far, by role, with ioredis's status of it ('ready' when usable). */
  statuses(): Array<{ readonly role: RedisRole; readonly status: string }>;
}

/**
 * Reconnect quickly and forever: an outage (or a failover) must end as soon as Redis answers
 * again. The one retry policy of every connection the service makes.
 */
export const retryStrategy = (attempt: number): number => Math.min(50 * attempt, 1000);

const COMMAND_OPTIONS = { enableOfflineQueue: false, maxRetriesPerRequest: 1 } as const satisfies RedisOptions;
const SUBSCRIBER_OPTIONS = { autoResubscribe: true, maxRetriesPerRequest: null } as const satisfies RedisOptions;

/**
 * The one place that makes Redis connections: it knows the topologies (REDIS_URL, Sentinel or
 * Cluster), the retry policy, logs each connection's errors and readiness under its role, and
 * can tell every connection's state. `onClient` sees each connection as it is made (for metrics).
 */
export function createRedisClients(logger: Logger, onClient: (client: RedisClient, role: RedisRole) => void = () => {}): RedisClients {
  const made: Array<{ role: RedisRole; client: RedisClient }> = [];

  function make(
    topology: RedisTopology,
    role: RedisRole,
    modeOptions: RedisOptions,
    { lazy = false, queueWhileConnecting }: RedisClientOptions = {},
  ): RedisClient {
    const options: RedisOptions = { ...modeOptions, retryStrategy, lazyConnect: lazy, connectionName: `mechamap-realtime:${role}` };
    if (queueWhileConnecting) options.enableOfflineQueue = true;
    const client = connect(topology, options);
    const log = logger.child({ component: 'redis', role, redis: describeTopology(topology) });
    // Without an error listener ioredis reports every failed reconnect as an unhandled error.
    client.on('error', (error: Error) => log.warn({ err: error.message }, 'redis connection error'));
    client.on('ready', () => log.info('redis connection ready'));
    made.push({ role, client });
    onClient(client, role);
    return client;
  }

  return {
    at: (topology) => ({
      topology,
      forCommands: (role, options) => make(topology, role, COMMAND_OPTIONS, options),
      forSubscribing: (role, options) => make(topology, role, SUBSCRIBER_OPTIONS, options),
    }),
    statuses: () => made.map(({ role, client }) => ({ role, status: client.status })),
  };
}

function connect(topology: RedisTopology, options: RedisOptions): RedisClient {
  switch (topology.kind) {
    case 'single':
      return new Redis(topology.url, options);
    case 'sentinel':
      return new Redis({
        ...options,
        sentinels: topology.sentinels.map(({ host, port }) => ({ host, port })),
        name: topology.name,
        sentinelPassword: topology.sentinelPassword,
        sentinelRetryStrategy: retryStrategy,
        // A master demoted to replica (cut off, then back) answers writes with READONLY: ask the
        // Sentinels again. ioredis' failoverDetector is not used: its +switch-master, arriving
        // while a reconnection is under way, left the connection closed for good (ioredis 5.11).
        reconnectOnError: (error) => error.message.startsWith('READONLY'),
      });
    case 'cluster': {
      const { enableOfflineQueue, lazyConnect, maxRetriesPerRequest, ...redisOptions } = options;
      const clusterOptions: ClusterOptions = {
        redisOptions,
        enableOfflineQueue,
        lazyConnect,
        // MOVED and ASK after a resharding or a failover take a redirection or two; a command meeting
        // a dead master is retried every 100 ms at most 6 times, then fails (UNAVAILABLE) as it
        // would without a cluster, rather than waiting out the whole failover.
        maxRedirections: 6,
        retryDelayOnFailover: 100,
        clusterRetryStrategy: retryStrategy,
        // Sharded pub/sub: one subscriber connection per master, each SSUBSCRIBEd to its shard's channels.
        shardedSubscribers: options.autoResubscribe === true,
      };
      if (maxRetriesPerRequest !== undefined) clusterOptions.redisOptions = { ...redisOptions, maxRetriesPerRequest };
      return new Cluster(
        topology.nodes.map(({ host, port }) => ({ host, port })),
        clusterOptions,
      );
    }
  }
}
