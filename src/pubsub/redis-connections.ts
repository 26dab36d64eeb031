import Redis from 'ioredis';
import type { Logger } from 'pino';
import { createTurnTaker } from '../lib/event-loop-turns';
import type { RedisClient, RedisConnector } from '../redis/redis-clients';
import { BusUnavailableError } from './event-bus';
import { asBusUnavailable, REDIS_NOT_CONNECTED } from './redis-command';

/**
 * The two Redis connections the bus and the history share. A connection in subscriber mode can
 * do nothing but subscribe, so there are two: `subscriber` resubscribes by itself after a
 * reconnect or a failover; `commands` (publishing, retention, replay) fails fast while
 * disconnected instead of queueing, so nothing is ever reported as done that Redis has not taken.
 */
export interface RedisConnections {
  readonly commands: RedisClient;
  readonly subscriber: RedisClient;
  isConnected(): boolean;
  /** Resolves once both are connected, or rejects after `timeoutMs`. */
  whenConnected(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export function createRedisConnections(redis: RedisConnector, logger: Logger): RedisConnections {
  const log = logger.child({ component: 'redis' });
  const commands = redis.forCommands('commands');
  const subscriber = redis.forSubscribing('subscriber');
  const clients = [commands, subscriber];

  // Thousands of sockets arriving or leaving together (a reconnect storm, a deploy) make as many
  // SUBSCRIBEs or UNSUBSCRIBEs: corked until the event loop comes round, they leave in one
  // write instead of a system call each (10,000 UNSUBSCRIBEs took 1.6 s of the loop).
  const corkUntilLoopTurn = () => {
    const stream = subscriber instanceof Redis ? subscriber.stream : undefined;
    if (!stream || stream.writableCorked > 0) return;
    stream.cork();
    setImmediate(() => stream.uncork());
  };
  for (const method of ['subscribe', 'unsubscribe', 'punsubscribe'] as const) {
    const original = subscriber[method].bind(subscriber) as (...channels: string[]) => Promise<unknown>;
    subscriber[method] = ((...channels: string[]) => {
      corkUntilLoopTurn();
      const reply = original(...channels);
      // RedisPubSub fires UNSUBSCRIBE and PUNSUBSCRIBE without awaiting them; one in flight when
      // the connection drops would reject with nobody listening and, unhandled, end the process.
      if (method !== 'subscribe') reply.catch((error: Error) => log.debug({ err: error.message, channels }, `${method} did not complete`));
      return reply;
    }) as never;
  }

  // A cluster's sharded subscribers are connections of their own, one per master, not paced.
  if (subscriber instanceof Redis) paceReads(subscriber);

  const isConnected = () => clients.every((client) => client.status === 'ready');

  return {
    commands,
    subscriber,
    isConnected,
    whenConnected(timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!isConnected()) return;
          cleanup();
          resolve();
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new BusUnavailableError(`redis not connected after ${timeoutMs} ms`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          for (const client of clients) client.off('ready', check);
        };
        for (const client of clients) client.on('ready', check);
        check();
      });
    },
    async close() {
      for (const client of clients) client.disconnect();
    },
  };
}

/** How long the subscriber's messages may be handled in one turn of the event loop. */
const READ_SLICE_MS = 10;

/**
 * A burst of publishes (a batch of 500, four in flight) reaches the subscriber as megabytes that
 * Node would read and ioredis parse in one go, holding the event loop for as long (~100 ms seen).
 * Once a turn's reads have taken READ_SLICE_MS, the socket pauses after the chunk at hand and
 * resumes when the loop comes round: what is not read yet waits in the kernel's buffer. Reads
 * have a turn-taker of their own, so other work never starves them and pushes the backlog into
 * Redis (which drops a subscriber whose output buffer overflows).
 */
function paceReads(subscriber: Redis): void {
  const takeTurnIfBusy = createTurnTaker(READ_SLICE_MS);
  const pace = (stream: NodeJS.ReadableStream) => {
    const turn = takeTurnIfBusy();
    if (!turn || stream.isPaused()) return;
    stream.pause();
    void turn.then(() => stream.resume());
  };
  subscriber.on('connect', () => {
    const { stream } = subscriber;
    stream.on('data', () => pace(stream));
  });
}

/** Runs a command, turning any failure to reach Redis into a `BusUnavailableError`. */
export async function redisCommand<Result>(connections: RedisConnections, run: () => Promise<Result>): Promise<Result> {
  if (!connections.isConnected()) throw new BusUnavailableError(REDIS_NOT_CONNECTED);
  try {
    return await run();
  } catch (error) {
    throw asBusUnavailable(error);
  }
}
