/**
 * The benchmark as a check (issue 18): the service and the floor (bench/floor-server.ts) run
 * alternately on the same machine, `runs` times each; the medians of each, every figure of the
 * issue's table as a ratio of the floor's, and whether it holds. Then the service over WebSocket
 * and over SSE alternately at `sseN` connections (memory and broadcast), SSE's figures as ratios
 * of WebSocket's. Machines differ and a shared one is noisy; the ratios, measured side by side,
 * travel.
 */
import { runBenchmark } from './benchmark';
import type { BenchmarkOptions, ComparisonOptions } from './options';
import type { BenchmarkReport } from './report';
import { summarize } from './summarize';

type Figure = number | null | undefined;

/** One line of issue 18's table: a figure of the service, the bound its ratio must keep. */
export interface Limit {
  readonly figure: string;
  readonly read: (report: BenchmarkReport) => Figure;
  /** `floor`: service ÷ floor; `websocket`: SSE ÷ WebSocket; `absolute`: the service's own figure. */
  readonly against: 'floor' | 'websocket' | 'absolute';
  readonly bound: 'at most' | 'at least';
  readonly limit: number;
}

export const LIMITS: readonly Limit[] = [
  {
    figure: 'RSS per connection, 1 notification subscription',
    read: (r) => r.memory?.rssPerConnectionNotificationKiB,
    against: 'floor',
    bound: 'at most',
    limit: 1.3,
  },
  {
    figure: 'RSS per connection, + a forumActivity subscription',
    read: (r) => r.memory?.rssPerConnectionWithForumKiB,
    against: 'floor',
    bound: 'at most',
    limit: 1.4,
  },
  {
    figure: 'RSS after a notification burst and the quiet after it, vs before it (%)',
    read: (r) => r.burst?.rssGrowthPercent,
    against: 'absolute',
    bound: 'at most',
    limit: 15,
  },
  { figure: 'broadcast to all, time to the last', read: (r) => r.broadcast?.timeToLastMs.median, against: 'floor', bound: 'at most', limit: 1.0 },
  { figure: 'CPU per broadcast delivery', read: (r) => r.broadcast?.serverCpuPerDeliveryUs, against: 'floor', bound: 'at most', limit: 1.05 },
  { figure: 'notification latency p99 at the latency rate', read: (r) => r.latency?.p99Ms, against: 'floor', bound: 'at most', limit: 1.2 },
  { figure: 'publishNotification/s (HTTP)', read: (r) => r.throughput?.acceptedPerSecond, against: 'floor', bound: 'at least', limit: 0.9 },
  { figure: 'publishNotifications (batches): notifications/s', read: (r) => r.batch?.acceptedPerSecond, against: 'floor', bound: 'at least', limit: 0.9 },
  { figure: 'lost events, any phase, every run', read: (r) => r.lostEvents, against: 'absolute', bound: 'at most', limit: 0 },
  {
    figure: 'SSE: RSS per connection, 1 notification subscription',
    read: (r) => r.memory?.rssPerConnectionNotificationKiB,
    against: 'websocket',
    bound: 'at most',
    limit: 1.5,
  },
  { figure: 'SSE: broadcast to all, time to the last', read: (r) => r.broadcast?.timeToLastMs.median, against: 'websocket', bound: 'at most', limit: 1.5 },
];

/** A limit read against the medians: `value` is the ratio (or the absolute figure); null when the phase did not run. */
export interface Verdict {
  readonly limit: Limit;
  readonly measured: Figure;
  readonly base: Figure;
  readonly value: number | null;
  readonly holds: boolean | null;
}

/** The medians of each side, keyed as Limit.against names them (`absolute` reads the service's). */
export interface Medians {
  readonly service: BenchmarkReport;
  readonly floor?: BenchmarkReport;
  readonly websocket?: BenchmarkReport;
  readonly sse?: BenchmarkReport;
}

/**
 * Each limit against the medians. A figure a run did not measure (its phase left out, or no
 * SSE comparison) is left unjudged; one it tried and could not read (NaN) does not hold.
 */
export function judge(medians: Medians): Verdict[] {
  return LIMITS.map((limit) => {
    const subject = limit.against === 'websocket' ? medians.sse : medians.service;
    const baseReport = limit.against === 'floor' ? medians.floor : limit.against === 'websocket' ? medians.websocket : undefined;
    const measured = subject && limit.read(subject);
    const base = baseReport && limit.read(baseReport);
    if (measured === null || measured === undefined || (limit.against !== 'absolute' && (base === null || base === undefined))) {
      return { limit, measured, base, value: null, holds: null };
    }
    const value = limit.against === 'absolute' ? measured : measured / (base as number);
    const holds = Number.isFinite(value) && (limit.bound === 'at most' ? value <= limit.limit : value >= limit.limit);
    return { limit, measured, base, value, holds };
  });
}

const show = (value: Figure, digits = 2) =>
  value === null || value === undefined || Number.isNaN(value) ? 'n/a' : value.toLocaleString('en-US', { maximumFractionDigits: digits });

/** The verdicts as a Markdown table. */
export function formatVerdicts(verdicts: readonly Verdict[], runs: number): string {
  const lines = [
    `| figure (medians of ${runs} run${runs === 1 ? '' : 's'} each) | service | against | ratio | must be | holds? |`,
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const { limit, measured, base, value, holds } of verdicts) {
    const against = limit.against === 'absolute' ? '' : `${limit.against} ${show(base)}`;
    const ratio = limit.against === 'absolute' ? '' : `${show(value)}×`;
    const bound = `${limit.bound === 'at most' ? '≤' : '≥'} ${limit.limit}${limit.against === 'absolute' ? '' : '×'}`;
    lines.push(`| ${limit.figure} | ${show(measured)} | ${against} | ${ratio} | ${bound} | ${holds === null ? 'not measured' : holds ? 'yes' : '**no**'} |`);
  }
  return lines.join('\n');
}

export interface ComparisonReport {
  readonly options: Omit<ComparisonOptions, 'jwtSecret' | 'publisherToken'>;
  readonly runs: {
    readonly service: BenchmarkReport[];
    readonly floor: BenchmarkReport[];
    readonly websocket: BenchmarkReport[];
    readonly sse: BenchmarkReport[];
  };
  readonly medians: Medians;
  readonly verdicts: readonly Verdict[];
  /** Every problem any run reported, prefixed with its side and run. */
  readonly problems: readonly string[];
}

/** Runs `first` and `second` alternately, `runs` times each. */
async function alternate(runs: number, first: () => Promise<BenchmarkReport>, second: () => Promise<BenchmarkReport>) {
  const a: BenchmarkReport[] = [];
  const b: BenchmarkReport[] = [];
  for (let run = 0; run < runs; run++) {
    a.push(await first());
    b.push(await second());
  }
  return [a, b] as const;
}

export async function runComparison(options: ComparisonOptions): Promise<ComparisonReport> {
  const log = (line: string) => options.verbose && process.stderr.write(`[compare] ${line}\n`);
  const run = (label: string, overrides: Partial<BenchmarkOptions>) => async () => {
    log(`${label}`);
    return runBenchmark({ ...options, ...overrides });
  };
  // The floor is always started here; the service may be one the caller runs (--url).
  const [floor, service] = await alternate(
    options.runs,
    run('the floor', { server: 'floor', url: undefined, pid: undefined, transport: 'ws' }),
    run('the service', {}),
  );
  let websocket: BenchmarkReport[] = [];
  let sse: BenchmarkReport[] = [];
  if (options.sseN > 0) {
    const sides = { n: options.sseN, phases: ['memory', 'broadcast'] as const, forum: true };
    [websocket, sse] = await alternate(
      options.runs,
      run(`the service over WebSocket, N = ${options.sseN}`, { ...sides, transport: 'ws' }),
      run(`the service over SSE, N = ${options.sseN}`, { ...sides, transport: 'sse' }),
    );
  }
  const medians: Medians = {
    service: summarize(service),
    floor: summarize(floor),
    ...(options.sseN > 0 ? { websocket: summarize(websocket), sse: summarize(sse) } : {}),
  };
  const problems = Object.entries({ service, floor, websocket, sse }).flatMap(([side, reports]) =>
    reports.flatMap((report, index) => [
      ...report.problems.map((problem) => `${side} run ${index + 1}: ${problem}`),
      ...(report.lostEvents > 0 ? [`${side} run ${index + 1}: ${report.lostEvents} events lost`] : []),
    ]),
  );
  const { jwtSecret: _secret, publisherToken: _token, ...shown } = options;
  return { options: shown, runs: { service, floor, websocket, sse }, medians, verdicts: judge(medians), problems };
}

/** A comparison passes when every limit that was measured holds and no run reported a problem. */
export const comparisonPassed = (report: ComparisonReport): boolean => report.problems.length === 0 && report.verdicts.every(({ holds }) => holds !== false);
