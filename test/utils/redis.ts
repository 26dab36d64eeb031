import { randomUUID } from 'node:crypto';

export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A key prefix of its own, so that tests running side by side on one Redis never see each other. */
export const isolatedPrefix = (): string => `test:${randomUUID()}:`;

/** The two buses every behavioural suite runs over: the difference is only the environment. */
export const BUSES = [
  { name: 'memory', env: (): Record<string, string> => ({}) },
  { name: 'redis', env: (): Record<string, string> => ({ REDIS_URL, REDIS_KEY_PREFIX: isolatedPrefix() }) },
] as const;
