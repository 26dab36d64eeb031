import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import type { Logger } from '../observability/logger';
import type { WatchRedisClient } from '../observability/metrics';
import { parseRedisBroadcast, type LaravelBroadcast } from './laravel-message';
import type { LaravelPublisher } from './laravel-publisher';

export interface RedisBroadcastConsumerOptions {
  /** Laravel's Redis (LARAVEL_REDIS_URL). */
  readonly url: string;
  /** Laravel's `database.redis.options.prefix` (LARAVEL_REDIS_PREFIX), in front of every channel. */
  readonly prefix: string;
  readonly publisher: LaravelPublisher;
  /** Told of each connection, to follow its state. */
  readonly watchRedisClient?: WatchRedisClient;
  /**
   * The Redis the processes of this service share (REDIS_URL and REDIS_KEY_PREFIX), where they
   * claim each Laravel message. Absent with the in-memory bus: a process is then a service of
   * its own, with its own subscribers, and must publish everything it receives.
   */
  readonly claims?: { readonly url: string; readonly keyPrefix: string };
  readonly logger: Logger;
}

/** Long enough for the slowest process to see a message; short enough to keep Redis small. */
export const CLAIM_TTL_MS = 60_000;
/** How long a process waits for another to publish a message it claimed. */
const CLAIM_WAIT_MS = 1000;
const CLAIM_POLL_MS = 5;

/** Reconnect quickly and forever: Laravel's Redis may go away and come back at any time. */
const retryStrategy = (attempt: number): number => Math.min(50 * attempt, 1000);

/** A Redis glob matching exactly `prefix` followed by anything. */
export function prefixPattern(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
}

/**
 * Reads Laravel's `redis` broadcaster as it is: PSUBSCRIBE `<prefix>*` on Laravel's Redis, each
 * message `{"event", "data", "socket"}` published through the LaravelPublisher.
 *
 * Exactly one publish per Laravel message, however many processes run. Every process of the
 * service is pattern-subscribed and receives every message; each would publish it again. So
 * before publishing, a process claims the message on the service's own Redis with
 * `SET <REDIS_KEY_PREFIX>laravel-claim:<sha256(channel, message)> PX 60000 NX`: the first
 * claim wins and publishes, the others count a `duplicate` and drop it. Why this and not the
 * alternatives:
 * - Electing one consumer would lose every message between a consumer's death and the next
 *   election; with claims, any live process publishes, so a process dying loses nothing but
 *   what it had claimed and not yet published.
 * - Delivering only to local subscribers without re-publishing would retain a notification once
 *   per process (one stream position each), breaking `notification(after)` replay.
 * - The hash covers the channel and the whole message, and a notification's message carries
 *   its uuid, so two notifications never collide. Two forum broadcasts identical to the byte
 *   on the same channel within 60 s are one event: nothing is lost that a subscriber could tell.
 * Each process handles messages one at a time, in the order Redis delivered them. A claim is
 * `claimed` until its publish is done, then `done`; a process that lost the claim waits for
 * `done` (at most CLAIM_WAIT_MS, in case the winner died) before its next message, so no
 * process can publish a later message before an earlier one is out: order holds across
 * processes too.
 *
 * The consumer owns its two connections (subscriber to Laravel's Redis, claims to ours); it
 * never fails the process: a lost connection is logged and re-established, and the pattern
 * subscription is renewed by ioredis on reconnection. Messages Laravel publishes while no
 * process is subscribed are lost, as with any Redis pub/sub.
 */
export function createRedisBroadcastConsumer({ url, prefix, publisher, claims, logger, watchRedisClient }: RedisBroadcastConsumerOptions) {
  const log = logger.child({ component: 'laravel-redis' });
  const subscriber = new Redis(url, {
    retryStrategy,
    autoResubscribe: true,
    maxRetriesPerRequest: null,
    lazyConnect: true,
    connectionName: 'mechamap-realtime:laravel-subscriber',
  });
  const claimer =
    claims &&
    new Redis(claims.url, {
      retryStrategy,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
      connectionName: 'mechamap-realtime:laravel-claims',
    });
  const pattern = prefixPattern(prefix);

  for (const [role, client] of [
    ['laravel-subscriber', subscriber],
    ['laravel-claims', claimer],
  ] as const) {
    if (!client) continue;
    watchRedisClient?.(client, 'laravel');
    // Without an error listener ioredis reports every failed reconnect as an unhandled error.
    client.on('error', (error: Error) => log.warn({ role, err: error.message }, 'redis connection error'));
    client.on('ready', () => log.info({ role }, 'redis connection ready'));
  }

  const claimKey = (channel: string, message: string) =>
    `${claims!.keyPrefix}laravel-claim:${createHash('sha256').update(channel).update('\n').update(message).digest('hex')}`;

  /** Another process holds the claim: wait until its publish is out (no event to await across processes). */
  const untilPublishedElsewhere = async (key: string) => {
    const deadline = Date.now() + CLAIM_WAIT_MS;
    while ((await claimer!.get(key)) === 'claimed') {
      if (Date.now() > deadline) return log.warn({ key }, 'a claimed Laravel broadcast was not published in time; going on');
      await new Promise((resolve) => setTimeout(resolve, CLAIM_POLL_MS));
    }
  };

  /** Publishes the message if this process wins its claim; returns once it is out, by whoever published it. */
  async function publishOnce(channel: string, message: string, broadcast: LaravelBroadcast): Promise<void> {
    const key = claimKey(channel, message);
    let claimed = false;
    const outcome = await publisher.publish('redis', broadcast, async () => {
      claimed = (await claimer!.set(key, 'claimed', 'PX', CLAIM_TTL_MS, 'NX')) === 'OK';
      return claimed;
    });
    if (claimed)
      await claimer!
        .set(key, 'done', 'PX', CLAIM_TTL_MS, 'XX')
        .catch((error: Error) => log.warn({ err: error.message }, 'could not mark a Laravel broadcast done'));
    else if (outcome === 'duplicate') await untilPublishedElsewhere(key).catch(() => {});
  }

  async function handle(prefixedChannel: string, message: string): Promise<void> {
    const channel = prefixedChannel.slice(prefix.length);
    const broadcast = parseRedisBroadcast(channel, message);
    if ('malformed' in broadcast) {
      publisher.malformed('redis', broadcast.malformed, channel);
      return;
    }
    if (claimer) await publishOnce(prefixedChannel, message, broadcast);
    else await publisher.publish('redis', broadcast);
  }

  // One message at a time, in the order Redis delivered them (see above).
  let queue = Promise.resolve();
  subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => {
    queue = queue.then(() => handle(channel, message)).catch((error: Error) => log.error({ err: error }, 'a Laravel broadcast failed'));
  });

  return {
    /**
     * Connects and pattern-subscribes. Resolves once Redis has confirmed the subscription, or
     * after `timeoutMs` with a warning (it keeps trying and subscribes when Redis answers).
     */
    async start(timeoutMs: number): Promise<void> {
      subscriber.connect().catch(() => {});
      claimer?.connect().catch(() => {});
      let timer: NodeJS.Timeout | undefined;
      const subscribed = subscriber.psubscribe(pattern).then(() => true);
      const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
      const confirmed = await Promise.race([subscribed.catch(() => false as const), timedOut]);
      clearTimeout(timer);
      if (confirmed) log.info({ pattern }, "subscribed to Laravel's broadcasts");
      else log.warn({ pattern }, "not yet subscribed to Laravel's broadcasts (LARAVEL_REDIS_URL unreachable); retrying");
      subscribed.catch((error: Error) => log.warn({ err: error.message }, "subscribing to Laravel's broadcasts failed"));
    },
    /** Stops receiving, finishes the messages already received, then closes both connections. */
    async close(): Promise<void> {
      subscriber.disconnect();
      await queue;
      claimer?.disconnect();
    },
  };
}

export type RedisBroadcastConsumer = ReturnType<typeof createRedisBroadcastConsumer>;
