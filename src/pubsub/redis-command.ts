import type { RedisClient } from '../redis/redis-clients';
import { BusUnavailableError } from './event-bus';

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
    if (error instanceof BusUnavailableError) throw error;
    throw new BusUnavailableError((error as Error).message);
  }
}

function whenReady(client: RedisClient, waitMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  if (waitMs <= 0) return Promise.reject(new BusUnavailableError('redis is not connected'));
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
