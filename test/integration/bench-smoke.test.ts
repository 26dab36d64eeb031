import Redis from 'ioredis';
import { runBenchmark } from '../../bench/benchmark';
import { formatTable } from '../../bench/report';
import { REDIS_URL } from '../utils/redis';

/** The keys benchmark runs give their services (`bench:<uuid>:…`); the serial tier runs one file at a time, so no other run adds or deletes some meanwhile. */
async function benchKeys(): Promise<number> {
  const redis = new Redis(REDIS_URL);
  try {
    let count = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', 'bench:*', 'COUNT', 1000);
      count += keys.length;
      cursor = next;
    } while (cursor !== '0');
    return count;
  } finally {
    redis.disconnect();
  }
}

/** A run small enough for the suite: it proves each phase works, not that the service is fast. */
const SMALL = {
  clients: 2,
  rate: 200,
  duration: 1,
  broadcasts: 3,
  publishes: 200,
  concurrency: 16,
  burst: 300,
  settleSeconds: 0.5,
  redisUrl: REDIS_URL,
} as const;

// The benchmark of bench/ at a smoke size: a real service process, real sockets from two client
// processes, every phase. It proves the benchmark works, not that the service is fast.
describe('the benchmark at smoke size', () => {
  it('subscribes every connection, loses no event, reports every figure and leaves nothing in Redis', async () => {
    const n = 200;
    const keysBefore = await benchKeys();
    const report = await runBenchmark({ ...SMALL, n, broadcasts: 5, publishes: 400, concurrency: 16 });

    expect(report.problems).toEqual([]);
    expect(report.connections).toMatchObject({ requested: n, acknowledged: n, notificationLive: n, forumLive: n });
    expect(report.lostEvents).toBe(0);

    const memory = report.memory!;
    // At smoke size a connection costs less than the RSS noise of a GC (-6 KiB seen): the figure
    // must be there; its size is the 10,000-connection bench's business.
    expect(Number.isFinite(memory.rssPerConnectionNotificationKiB)).toBe(true);
    expect(Number.isFinite(memory.rssPerConnectionWithForumKiB)).toBe(true);

    const broadcast = report.broadcast!;
    expect(broadcast).toMatchObject({ events: 5, subscribers: n, expectedDeliveries: 5 * n, deliveries: 5 * n, lost: 0 });
    expect(broadcast.timeToLastMs.median).toBeGreaterThan(0);
    expect(broadcast.timeToLastMs.max).toBeGreaterThanOrEqual(broadcast.timeToLastMs.median);
    // /proc counts CPU in 10 ms ticks: a fast enough service may use less than one tick here.
    expect(broadcast.serverCpuPerDeliveryUs).toBeGreaterThanOrEqual(0);

    const latency = report.latency!;
    expect(latency).toMatchObject({ sent: 200, accepted: 200, received: 200, lost: 0, misrouted: 0, publisherConnections: 16 });
    expect(latency.mostInFlight).toBeGreaterThanOrEqual(1);
    expect(latency.p50Ms).toBeGreaterThan(0);
    expect(latency.p99Ms).toBeGreaterThanOrEqual(latency.p50Ms);

    const throughput = report.throughput!;
    expect(throughput).toMatchObject({ publishes: 400, accepted: 400, received: 400, lost: 0, misrouted: 0 });
    expect(throughput.acceptedPerSecond).toBeGreaterThan(0);
    expect(throughput.deliveredPerSecond).toBeGreaterThan(0);

    for (const phase of ['connect', 'broadcast', 'latency', 'throughput']) {
      expect(report.eventLoop[phase]?.clients.maxMs).toBeGreaterThanOrEqual(0);
      expect(report.eventLoop[phase]?.server.maxMs).toBeGreaterThanOrEqual(0);
    }
    expect(report.burst).toMatchObject({ notifications: 300, received: 300, lost: 0, settleSeconds: 0.5 });
    expect(report.burst!.rssAfterKiB).toBeGreaterThan(0);
    expect(Number.isFinite(report.burst!.rssGrowthPercent)).toBe(true);

    expect(formatTable(report)).toContain('| lost events | 0 |');
    // Each of the 200 users' notifications were retained in a stream of its own, for a day.
    expect(await benchKeys()).toBe(keysBefore);
  }, 120_000);
});

// The floor (bench/floor-server.ts) is what the service's figures are read against on a machine:
// it must carry the same load through the same clients, or its figures mean nothing.
describe('the benchmark against the floor', () => {
  it('delivers every event of every phase through the floor server', async () => {
    const n = 100;
    const report = await runBenchmark({ ...SMALL, n, server: 'floor', publishes: 400, batchSize: 50 });

    expect(report.problems).toEqual([]);
    expect(report.connections).toMatchObject({ requested: n, acknowledged: n, notificationLive: n, forumLive: n });
    expect(report.broadcast).toMatchObject({ deliveries: 3 * n, serverCountedDeliveries: 3 * n });
    expect(report.latency).toMatchObject({ received: 200, misrouted: 0 });
    expect(report.throughput).toMatchObject({ received: 400, misrouted: 0 });
    expect(report.batch).toMatchObject({ received: 400, misrouted: 0 });
    expect(report.burst).toMatchObject({ notifications: 300, received: 300, lost: 0 });
    expect(report.lostEvents).toBe(0);
    expect(report.meta['target']).toContain('bench/floor-server.ts');
    // Read against itself, each figure is one floor.
    expect(formatTable(report, report)).toMatch(/\| broadcast to all: time until the last receives it \(median of 3\) \| [\d.,]+ ms \| [\d.,]+ ms \| 1× \|/);
  }, 120_000);
});

// SSE subscribers are measured as WebSocket ones are: the same users, the same events, over
// GraphQL-over-SSE streams (one per subscription) that the client processes read.
describe('the benchmark over SSE', () => {
  it('subscribes every user over event streams and delivers every broadcast and notification, losing none', async () => {
    const n = 100;
    // The warm-up already sent its 4,000 notifications over SSE streams, and counts what was lost.
    const report = await runBenchmark({ ...SMALL, n, transport: 'sse', phases: ['memory', 'broadcast'] });

    expect(report.problems).toEqual([]);
    expect(report.meta['transport']).toBe('sse');
    expect(report.connections).toMatchObject({ requested: n, acknowledged: n, notificationLive: n, forumLive: n });
    // At 100 streams the RSS difference is within the collector's noise; it is read, not judged.
    expect(Number.isFinite(report.memory!.rssPerConnectionNotificationKiB)).toBe(true);
    expect(report.broadcast).toMatchObject({ deliveries: 3 * n, lost: 0 });
    expect(report.lostEvents).toBe(0);
  }, 120_000);
});
