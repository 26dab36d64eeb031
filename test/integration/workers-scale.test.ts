import { runBenchmark } from '../../bench/benchmark';
import { REDIS_URL } from '../utils/redis';

const WORKERS = 3;
const N = 3_000;
const CLIENTS = 3;

// The path of the 100,000-connection run (README, "100,000 connections") at a size the suite can
// afford: one service started as `npm start` with WORKERS, client processes on source addresses
// of their own, RSS summed over the primary and its workers from /proc.
describe(`the benchmark against WORKERS=${WORKERS} at ${N.toLocaleString('en-US')} connections`, () => {
  it('makes every connection live, reaches every one with a broadcast, loses nothing and measures the whole group', async () => {
    const report = await runBenchmark({
      n: N,
      workers: WORKERS,
      clients: CLIENTS,
      phases: ['memory', 'broadcast', 'latency'],
      broadcasts: 2,
      rate: 1000,
      duration: 2,
      redisUrl: REDIS_URL,
    });

    expect(report.problems).toEqual([]);
    expect(report.connections).toMatchObject({ requested: N, acknowledged: N, failed: 0, notificationLive: N, forumLive: N });
    expect(report.broadcast).toMatchObject({ subscribers: N, deliveries: 2 * N, lost: 0 });
    expect(report.latency).toMatchObject({ sent: 2000, accepted: 2000, received: 2000, lost: 0, misrouted: 0 });
    expect(report.lostEvents).toBe(0);

    // The primary and its workers, each holding some of the connections: the primary passes them on.
    const { service, clients, replacedDuringRun } = report.processes;
    expect(service).toHaveLength(1 + WORKERS);
    expect(replacedDuringRun).toBe(0);
    const [primary, ...workers] = service;
    for (const worker of workers) expect(worker.openFiles).toBeGreaterThan(N / WORKERS / 2);
    expect(primary!.openFiles).toBeLessThan(N / WORKERS / 2);
    expect(clients).toHaveLength(CLIENTS);
    for (const client of clients) expect(client.openFiles).toBeGreaterThanOrEqual(N / CLIENTS);

    // RSS is every process's: each Node process holds tens of MiB before its first connection,
    // and the group's reading is the sum of its processes' (read a moment later, one by one).
    // Whether the group grows with 3,000 connections is not asserted: four processes' collections
    // can free more between two readings than 1,000 connections each add.
    const memory = report.memory!;
    expect(memory.rssBeforeKiB).toBeGreaterThan((1 + WORKERS) * 30 * 1024);
    const processesKiB = service.map((process) => process.rssKiB);
    const summedKiB = processesKiB.reduce((total, kiB) => total + kiB, 0);
    expect(memory.rssWithForumKiB).toBeGreaterThan(summedKiB * 0.95);
    expect(memory.rssWithForumKiB).toBeLessThan(summedKiB * 1.05);
    expect(memory.rssWithForumKiB).toBeGreaterThan(Math.max(...processesKiB) * 2);
    expect(memory.rssPerConnectionWithForumKiB).toBeLessThan(100);
  }, 120_000);
});
