import { judge, LIMITS, type Verdict } from '../../bench/compare';
import type { BenchmarkReport } from '../../bench/report';

/** A report with the figures the limits read; a phase left out is null, as runBenchmark leaves it. */
function report(figures: {
  rss?: number;
  rssForum?: number;
  burst?: number;
  toLast?: number;
  cpu?: number;
  p99?: number;
  publishes?: number;
  batch?: number;
  lost?: number;
}) {
  return {
    memory: figures.rss === undefined ? null : { rssPerConnectionNotificationKiB: figures.rss, rssPerConnectionWithForumKiB: figures.rssForum ?? null },
    burst: figures.burst === undefined ? null : { rssGrowthPercent: figures.burst },
    broadcast: figures.toLast === undefined ? null : { timeToLastMs: { median: figures.toLast }, serverCpuPerDeliveryUs: figures.cpu ?? 0 },
    latency: figures.p99 === undefined ? null : { p99Ms: figures.p99 },
    throughput: figures.publishes === undefined ? null : { acceptedPerSecond: figures.publishes },
    batch: figures.batch === undefined ? null : { acceptedPerSecond: figures.batch },
    lostEvents: figures.lost ?? 0,
  } as unknown as BenchmarkReport;
}

const floor = report({ rss: 10, rssForum: 10, burst: 3, toLast: 100, cpu: 10, p99: 5, publishes: 1000, batch: 10_000 });
const verdictOf = (verdicts: Verdict[], figure: string) => verdicts.find((verdict) => verdict.limit.figure.startsWith(figure))!;

describe("the bench's check against issue 18's table", () => {
  it('reads each figure as a ratio of the floor measured beside it, and holds it to its bound', () => {
    const service = report({ rss: 12, rssForum: 15, burst: 10, toLast: 100, cpu: 10.4, p99: 7, publishes: 850, batch: 9_500 });
    const verdicts = judge({ service, floor });
    expect(verdicts.map(({ limit, value, holds }) => [limit.figure, value === null ? null : Math.round(value * 100) / 100, holds])).toEqual([
      ['RSS per connection, 1 notification subscription', 1.2, true],
      ['RSS per connection, + a forumActivity subscription', 1.5, false],
      ['RSS after a notification burst and the quiet after it, vs before it (%)', 10, true],
      ['broadcast to all, time to the last', 1, true],
      ['CPU per broadcast delivery', 1.04, true],
      ['notification latency p99 at the latency rate', 1.4, false],
      ['publishNotification/s (HTTP)', 0.85, false],
      ['publishNotifications (batches): notifications/s', 0.95, true],
      ['lost events, any phase, every run', 0, true],
      ['SSE: RSS per connection, 1 notification subscription', null, null],
      ['SSE: broadcast to all, time to the last', null, null],
    ]);
  });

  it('compares SSE with WebSocket at the same N, not with the floor', () => {
    const websocket = report({ rss: 20, toLast: 200 });
    const sse = report({ rss: 40, toLast: 250 });
    const verdicts = judge({ service: floor, floor, websocket, sse });
    expect(verdictOf(verdicts, 'SSE: RSS')).toMatchObject({ measured: 40, base: 20, value: 2, holds: false });
    expect(verdictOf(verdicts, 'SSE: broadcast')).toMatchObject({ measured: 250, base: 200, value: 1.25, holds: true });
  });

  it('fails a lost event, and a figure it tried and could not read, but leaves a phase that did not run unjudged', () => {
    const service = report({ rss: Number.NaN, lost: 1 });
    const verdicts = judge({ service, floor });
    expect(verdictOf(verdicts, 'lost events').holds).toBe(false);
    expect(verdictOf(verdicts, 'RSS per connection, 1').holds).toBe(false);
    expect(verdictOf(verdicts, 'broadcast to all').holds).toBeNull();
    expect(verdicts).toHaveLength(LIMITS.length);
  });
});
