import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { REDIS_URL } from './redis';
import { pollUntil } from './poll';

/** A Laravel `database.redis.options.prefix` of its own, as a skeleton app named "MechaMap Test …" would have. */
export const isolatedLaravelPrefix = (): string => `mechamap-test-${randomUUID().slice(0, 8)}-database-`;

/** Stands in for Laravel's `redis` broadcaster: PUBLISH of a ready-made message on `<prefix><channel>`. */
export function laravelRedis(prefix: string) {
  const redis = new Redis(REDIS_URL, { lazyConnect: false });
  afterAll(() => redis.disconnect());
  return {
    /** Publishes `message` exactly as given (a string: the bytes Laravel's json_encode wrote). */
    publishRaw: (channel: string, message: string) => redis.publish(`${prefix}${channel}`, message),
    redis,
  };
}

/** Reads one sample of a Prometheus counter, 0 when it has none yet. */
export async function counterValue(origin: string, sample: string): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}

/** Resolves once `sample` reaches `value` (another process offers no event to wait on). */
export async function waitForCounter(origin: string, sample: string, value: number): Promise<void> {
  await pollUntil(() => counterValue(origin, sample), { until: (count) => count >= value, what: `${sample} reaching ${value} at ${origin}` });
}
