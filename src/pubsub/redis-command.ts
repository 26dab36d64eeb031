import type { RedisClient } from '../redis/redis-clients';
import { BusUnavailableError } from './event-bus';

export const REDIS_NOT_CONNECTED = 'redis is not connected';

/** A command's failure as the bus reports it: whatever kept Redis from taking it. */
export const asBusUnavailable = (error: unknown): BusUnavailableError =>
  error instanceof BusUnavailableError ? error : new BusUnavailableError((error as Error).message);

/**
 * Runs `run` once `client` is ready, turning any failure to reach Redis into a
 * `BusUnavailableError` (callers answer UNAVAILABLE). It waits up to `readyWaitMs` for a
 * connection being made (at start, or during a failover) rather than failing at once.
 */
export async function onceReady<Result>(client: RedisClient, readyWaitMs: number, run: () => Promise<Result>): Promise<Result> {
  try {
    await whenReady(client, readyWaitMs);
    return await run();
  } catch (error) {
    throw asBusUnavailable(error);
  }
}

function whenReady(client: RedisClient, waitMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  if (waitMs <= 0) return Promise.reject(new BusUnavailableError(REDIS_NOT_CONNECTED));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new BusUnavailableError(`redis not ready after ${waitMs} ms`));
    }, waitMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}
