import { runBenchmark } from '../../bench/benchmark';
import { formatTable } from '../../bench/report';
import { REDIS_URL } from '../utils/redis';

// The benchmark of bench/ at a smoke size: a real service process, real sockets from two client
// processes, every phase. It proves the benchmark works, not that the service is fast.
describe('the benchmark at smoke size', () => {
  it('subscribes every connection, loses no event and reports every figure', async () => {
    const n = 200;
    const report = await runBenchmark({ n, clients: 2, rate: 200, duration: 1, broadcasts: 5, publishes: 400, concurrency: 16, redisUrl: REDIS_URL });

    expect(report.problems).toEqual([]);
    expect(report.connections).toMatchObject({ requested: n, acknowledged: n, notificationLive: n, forumLive: n });
    expect(report.lostEvents).toBe(0);

    const memory = report.memory!;
    expect(memory.rssPerConnectionNotificationKiB).toBeGreaterThan(0);
    expect(memory.rssPerConnectionWithForumKiB).toBeGreaterThan(0);

    const broadcast = report.broadcast!;
    expect(broadcast).toMatchObject({ events: 5, subscribers: n, expectedDeliveries: 5 * n, deliveries: 5 * n, lost: 0 });
    expect(broadcast.timeToLastMs.median).toBeGreaterThan(0);
    expect(broadcast.timeToLastMs.max).toBeGreaterThanOrEqual(broadcast.timeToLastMs.median);
    // /proc counts CPU in 10 ms ticks: a fast enough service may use less than one tick here.
    expect(broadcast.serverCpuPerDeliveryUs).toBeGreaterThanOrEqual(0);

    const latency = report.latency!;
    expect(latency).toMatchObject({ sent: 200, accepted: 200, received: 200, lost: 0, misrouted: 0 });
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
    expect(formatTable(report)).toContain('| lost events | 0 |');
  }, 60_000);
});
