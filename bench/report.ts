/** The benchmark's report: its JSON shape, and the table printed from it. */
import type { KernelLimits } from './limits';

export interface LoopDelay {
  readonly maxMs: number;
  readonly p99Ms: number;
}

/** Event-loop delay during one phase: the service's (from its /metrics) and the worst client process's. */
export interface PhaseLoopDelay {
  readonly server: LoopDelay;
  readonly clients: LoopDelay;
}

/** What the throughput and batch phases both report about the events they published. */
export interface DeliveryFigures {
  accepted: number;
  received: number;
  lost: number;
  misrouted: number;
  /** Events accepted per second (in the batch phase: answered calls × their size), until the last answer. */
  acceptedPerSecond: number;
  deliveredPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface BenchmarkReport {
  meta: Record<string, unknown>;
  connections: { requested: number; acknowledged: number; failed: number; notificationLive: number; forumLive: number | null; connectMs: number };
  /** Once every subscription was live: each process of the service (a WORKERS primary and its workers) and each client process, against the machine's limits. */
  processes: {
    service: Array<{ pid: number; rssKiB: number; openFiles: number }>;
    /** Service processes that were there before connecting and had gone by then (a worker died and was replaced). */
    replacedDuringRun: number;
    clients: Array<{ pid: number; openFiles: number }>;
    /** Connections the kernel's accept queues turned away while connecting (each retried by its client after a second or more). */
    listenOverflows: number;
    limits: KernelLimits;
  };
  memory: {
    rssBeforeKiB: number;
    rssWithNotificationKiB: number;
    rssWithForumKiB: number | null;
    rssPerConnectionNotificationKiB: number;
    rssPerConnectionWithForumKiB: number | null;
    heapPerConnectionNotificationKiB: number;
    heapPerConnectionWithForumKiB: number | null;
    /** The service's CPU (% of one core) over 2 s with every subscription live and nothing published. */
    idleCpuPercent: number;
  } | null;
  broadcast: {
    events: number;
    subscribers: number;
    expectedDeliveries: number;
    deliveries: number;
    serverCountedDeliveries: number;
    lost: number;
    timeToLastMs: { median: number; min: number; max: number };
    timeToFirstMs: { median: number };
    warmupTimeToLastMs: number;
    serverCpuMs: number;
    serverCpuPerDeliveryUs: number;
  } | null;
  /** RSS before a burst of notifications, at its end and `settleSeconds` later. */
  burst: {
    notifications: number;
    received: number;
    lost: number;
    settleSeconds: number;
    rssBeforeKiB: number;
    rssAtEndKiB: number;
    rssAfterKiB: number;
    rssGrowthPercent: number;
  } | null;
  latency: {
    rate: number;
    sent: number;
    accepted: number;
    /** Requests sent per second (open loop: sent on schedule whether or not earlier ones were answered). */
    achievedRatePerSecond: number;
    /** Requests answered per second, until the last answer. */
    acceptedRatePerSecond: number;
    /**
     * The most requests unanswered at once. Over `publisherConnections`, the rest waited in the
     * publisher's pool for a connection, and that wait is part of their latency.
     */
    mostInFlight: number;
    publisherConnections: number;
    received: number;
    lost: number;
    misrouted: number;
    p50Ms: number;
    p90Ms: number;
    p99Ms: number;
    maxMs: number;
    serverCpuPerNotificationUs: number;
  } | null;
  throughput: ({ publishes: number; concurrency: number } & DeliveryFigures & { serverCpuPerPublishUs: number }) | null;
  batch: ({ notifications: number; batchSize: number; batches: number; concurrency: number } & DeliveryFigures & { serverCpuPerNotificationUs: number }) | null;
  /** Every event published and not received, over all phases (the warm-ups included). */
  lostEvents: number;
  eventLoop: Record<string, PhaseLoopDelay>;
  /** Anything that went wrong; empty in a clean run. */
  problems: string[];
}

const show = (value: number | null | undefined, unit = ''): string =>
  value === null || value === undefined || Number.isNaN(value) ? 'n/a' : `${value.toLocaleString('en-US', { maximumFractionDigits: 3 })}${unit}`;

/** The issue's figures at N = 10,000, to read the measured ones against. */
const ISSUE = {
  rssNotification: ['≤ 12 KB', '20–21 KB', '8 KB'],
  rssForum: ['≤ 16 KB', '36–37 KB', '8–9 KB'],
  toLast: ['≤ 160 ms', '345–375 ms', '120–125 ms'],
  cpu: ['≤ 20 µs', '57–61 µs', '11–12 µs'],
  latency: ['≤ 1 / ≤ 10 ms', '0.9–1.1 / 9–19 ms', '0.5 / 3–5 ms'],
  throughput: ['≥ 5,000/s', '2,000–2,600/s', '6,000–11,000/s'],
  batch: ['≥ 20,000/s', '', ''],
  lost: ['0', '', ''],
  loop: ['≤ 50 ms', '', ''],
} as const;

type Figure = number | null | undefined;

/** One row: its label, the figures it shows (read from a report) and how they are written. */
interface Row {
  readonly label: string;
  readonly figures: (report: BenchmarkReport) => readonly Figure[];
  readonly write: (figures: readonly Figure[]) => string;
  readonly references: readonly string[];
  /** Counts, where a multiple of the floor's says nothing. */
  readonly count?: true;
}

const mostOpenFiles = (processes: ReadonlyArray<{ openFiles: number }>) => Math.max(...processes.map((p) => p.openFiles));

const worstLoop = (report: BenchmarkReport, side: 'server' | 'clients') => {
  const values = Object.values(report.eventLoop)
    .map((phase) => phase[side].maxMs)
    .filter((value) => Number.isFinite(value));
  return values.length ? Math.max(...values) : Number.NaN;
};

/** How many publishes were unanswered at once, where the report says (older reports do not). */
const inFlight = (latency: BenchmarkReport['latency']) =>
  latency?.mostInFlight === undefined ? '' : `; at most ${show(latency.mostInFlight)} in flight on ${show(latency.publisherConnections)} connections`;

const each = (unit: string) => (figures: readonly Figure[]) => figures.map((figure) => show(figure)).join(' / ') + unit;

function rowsOf(report: BenchmarkReport): Row[] {
  const { broadcast, latency, throughput, batch, connections } = report;
  const none = ['', '', ''] as const;
  return [
    {
      label: 'connections subscribed (notification / forumActivity)',
      figures: (r) => [r.connections.notificationLive, r.connections.forumLive],
      write: (f) => `${each('')(f)} of ${show(connections.requested)}`,
      references: none,
      count: true,
    },
    {
      label: 'service processes (RSS and open files summed over all), and the most open files in one of them / in one client process',
      figures: (r) => [r.processes.service.length, mostOpenFiles(r.processes.service), mostOpenFiles(r.processes.clients)],
      write: ([processes, service, client]) =>
        `${show(processes)}; ${show(service)} / ${show(client)} of ${show(report.processes.limits.openFilesPerProcess)} (ulimit -n)`,
      references: none,
      count: true,
    },
    {
      label: 'server RSS per connection, notification only',
      figures: (r) => [r.memory?.rssPerConnectionNotificationKiB],
      write: each(' KiB'),
      references: ISSUE.rssNotification,
    },
    { label: '… with forumActivity too', figures: (r) => [r.memory?.rssPerConnectionWithForumKiB], write: each(' KiB'), references: ISSUE.rssForum },
    {
      label: 'V8 heap used per connection (notification / both)',
      figures: (r) => [r.memory?.heapPerConnectionNotificationKiB, r.memory?.heapPerConnectionWithForumKiB],
      write: each(' KiB'),
      references: none,
    },
    {
      label: `server RSS ${show(report.burst?.settleSeconds)} s after a burst of ${show(report.burst?.notifications)} notifications, vs before it`,
      figures: (r) => [r.burst?.rssGrowthPercent],
      write: ([growth]) => (typeof growth === 'number' && growth >= 0 ? `+${show(growth)} %` : `${show(growth)} %`),
      references: none,
      count: true,
    },
    { label: 'server CPU while idle with every subscription live', figures: (r) => [r.memory?.idleCpuPercent], write: each(' % of a core'), references: none },
    {
      label: `broadcast to all: time until the last receives it (median of ${broadcast?.events ?? 0})`,
      figures: (r) => [r.broadcast?.timeToLastMs.median],
      write: each(' ms'),
      references: ISSUE.toLast,
    },
    { label: 'server CPU per delivered broadcast message', figures: (r) => [r.broadcast?.serverCpuPerDeliveryUs], write: each(' µs'), references: ISSUE.cpu },
    {
      label: `notification publish → receive, sent at ${show(latency?.rate)}/s (answered ${show(latency?.acceptedRatePerSecond)}/s${inFlight(latency)}), p50 / p99`,
      figures: (r) => [r.latency?.p50Ms, r.latency?.p99Ms],
      write: each(' ms'),
      references: ISSUE.latency,
    },
    { label: 'server CPU per notification (at that rate)', figures: (r) => [r.latency?.serverCpuPerNotificationUs], write: each(' µs'), references: none },
    {
      label: `publishNotification per second, ${show(throughput?.concurrency)} in flight, all delivered`,
      figures: (r) => [r.throughput?.acceptedPerSecond, r.throughput?.deliveredPerSecond],
      write: ([accepted, delivered]) => `${show(accepted, '/s')} (delivered ${show(delivered, '/s')})`,
      references: ISSUE.throughput,
    },
    {
      label: `notifications per second through publishNotifications, ${show(batch?.batchSize)} per call, ${show(batch?.concurrency)} calls in flight, all delivered`,
      figures: (r) => [r.batch?.acceptedPerSecond, r.batch?.deliveredPerSecond],
      write: ([accepted, delivered]) => `${show(accepted, '/s')} (delivered ${show(delivered, '/s')})`,
      references: ISSUE.batch,
    },
    { label: 'lost events', figures: (r) => [r.lostEvents], write: each(''), references: ISSUE.lost, count: true },
    {
      label: 'worst event-loop delay: server / client processes',
      figures: (r) => [worstLoop(r, 'server'), worstLoop(r, 'clients')],
      write: each(' ms'),
      references: ISSUE.loop,
    },
  ];
}

/** Each figure of the service over the floor's, as "1.8×" (n/a where either is missing or the floor's is 0). */
function ratios(service: readonly Figure[], floor: readonly Figure[]): string {
  return service
    .map((figure, index) => {
      const base = floor[index];
      return typeof figure === 'number' && typeof base === 'number' && Number.isFinite(figure) && base > 0
        ? `${show(Math.round((figure / base) * 100) / 100)}×`
        : 'n/a';
    })
    .join(' / ');
}

/**
 * A Markdown table: what was measured beside the issue's target and its reference stacks; with
 * `floor` (the same benchmark against bench/floor-server.ts on the same machine, or any other
 * report to read this one against, named `floorName`), also its figures and this one's as multiples of them.
 */
export function formatTable(report: BenchmarkReport, floor?: BenchmarkReport, floorName = 'floor'): string {
  const header = [
    'measured',
    ...(floor ? [`${floorName}, measured here`, `÷ ${floorName}`] : []),
    'issue target (N = 10,000)',
    "graphql-yoga docs' stack",
    'raw ws floor (issue)',
  ];
  const lines = [
    `| figure (N = ${report.connections.requested.toLocaleString('en-US')}) | ${header.join(' | ')} |`,
    `| --- |${' --- |'.repeat(header.length)}`,
  ];
  for (const row of rowsOf(report)) {
    const measured = row.figures(report);
    const cells = [
      row.write(measured),
      ...(floor ? [row.write(row.figures(floor)), row.count ? '' : ratios(measured, row.figures(floor))] : []),
      ...row.references,
    ];
    lines.push(`| ${row.label} | ${cells.join(' | ')} |`);
  }
  if (report.problems.length) lines.push('', `problems (${report.problems.length}):`, ...report.problems.slice(0, 20).map((problem) => `- ${problem}`));
  return lines.join('\n');
}
