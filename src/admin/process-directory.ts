import type { RedisClient } from '../redis/redis-clients';

/** One process of the service as it last described itself. */
export interface ProcessRecord {
  /** Unique per process start: host, pid and a random part. */
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly startedAt: string;
  /** When this record was written (ms since the epoch, by the writer's clock). */
  readonly at: number;
  readonly connections: number;
  readonly subscriptions: number;
  readonly deliveriesPerSecond: number;
  /** 99th percentile delivery latency since the previous record, in ms; null with no delivery. */
  readonly deliveryP99Ms: number | null;
}

/**
 * Where the processes of the service find each other: each announces its record every beat
 * with a time to live, so a process that died drops out by itself.
 */
export interface ProcessDirectory {
  announce(record: ProcessRecord, ttlMs: number): Promise<void>;
  /** Every process whose record is alive, by id. */
  list(): Promise<ProcessRecord[]>;
  /** Removes this process's record at once (a clean stop). */
  withdraw(id: string): Promise<void>;
}

/** Without Redis the service is one process: it lists itself. */
export function createMemoryProcessDirectory(now = Date.now): ProcessDirectory {
  const records = new Map<string, { record: ProcessRecord; expiresAt: number }>();
  return {
    async announce(record, ttlMs) {
      records.set(record.id, { record, expiresAt: now() + ttlMs });
    },
    async list() {
      return [...records.values()].filter(({ expiresAt }) => expiresAt > now()).map(({ record }) => record);
    },
    async withdraw(id) {
      records.delete(id);
    },
  };
}

/**
 * In Redis: a key per process (`<prefix>admin:process:<id>`, expiring with the record) and a
 * sorted set of ids by expiry (`<prefix>admin:processes`), so listing reads the set, never
 * scans the keyspace. Expired ids are pruned as the list is read.
 */
export function createRedisProcessDirectory(redis: RedisClient, keyPrefix: string): ProcessDirectory {
  const index = `${keyPrefix}admin:processes`;
  const recordKey = (id: string) => `${keyPrefix}admin:process:${id}`;
  return {
    async announce(record, ttlMs) {
      const expiresAt = Date.now() + ttlMs;
      await redis.multi().set(recordKey(record.id), JSON.stringify(record), 'PX', ttlMs).zadd(index, expiresAt, record.id).pexpire(index, ttlMs).exec();
    },
    async list() {
      await redis.zremrangebyscore(index, '-inf', Date.now());
      const ids = await redis.zrange(index, 0, -1);
      if (ids.length === 0) return [];
      const values = await redis.mget(ids.map(recordKey));
      return values.flatMap((value) => (value === null ? [] : [JSON.parse(value) as ProcessRecord]));
    },
    async withdraw(id) {
      await redis.multi().del(recordKey(id)).zrem(index, id).exec();
    },
  };
}
