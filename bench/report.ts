/** The benchmark's report: its JSON shape, and the table printed from it. */

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
  connections: { requested: number; acknowledged: number; notificationLive: number; forumLive: number | null; connectMs: number };
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
  latency: {
    rate: number;
    sent: number;
    accepted: number;
    /** Requests sent per second (open loop: sent on schedule whether or not earlier ones were answered). */
    achievedRatePerSecond: number;
    /** Requests answered per second, until the last answer. */
    acceptedRatePerSecond: number;
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

/** A Markdown table: what was measured beside the issue's target and its reference stacks. */
export function formatTable(report: BenchmarkReport): string {
  const { memory, broadcast, latency, throughput, batch, connections } = report;
  const worstLoop = (side: 'server' | 'clients') => {
    const values = Object.values(report.eventLoop).map((phase) => phase[side].maxMs).filter((value) => Number.isFinite(value));
    return values.length ? Math.max(...values) : Number.NaN;
  };
  const rows: Array<[string, string, readonly string[]]> = [
    ['connections subscribed (notification / forumActivity)', `${show(connections.notificationLive)} / ${show(connections.forumLive)} of ${show(connections.requested)}`, ['', '', '']],
    ['server RSS per connection, notification only', show(memory?.rssPerConnectionNotificationKiB, ' KiB'), ISSUE.rssNotification],
    ['… with forumActivity too', show(memory?.rssPerConnectionWithForumKiB, ' KiB'), ISSUE.rssForum],
    ['V8 heap used per connection (notification / both)', `${show(memory?.heapPerConnectionNotificationKiB, ' KiB')} / ${show(memory?.heapPerConnectionWithForumKiB, ' KiB')}`, ['', '', '']],
    ['server CPU while idle with every subscription live', show(memory?.idleCpuPercent, ' % of a core'), ['', '', '']],
    [`broadcast to all: time until the last receives it (median of ${broadcast?.events ?? 0})`, show(broadcast?.timeToLastMs.median, ' ms'), ISSUE.toLast],
    ['server CPU per delivered broadcast message', show(broadcast?.serverCpuPerDeliveryUs, ' µs'), ISSUE.cpu],
    [`notification publish → receive, sent at ${show(latency?.rate)}/s (answered ${show(latency?.acceptedRatePerSecond)}/s), p50 / p99`, `${show(latency?.p50Ms)} / ${show(latency?.p99Ms, ' ms')}`, ISSUE.latency],
    ['server CPU per notification (at that rate)', show(latency?.serverCpuPerNotificationUs, ' µs'), ['', '', '']],
    [`publishNotification per second, ${show(throughput?.concurrency)} in flight, all delivered`, `${show(throughput?.acceptedPerSecond, '/s')} (delivered ${show(throughput?.deliveredPerSecond, '/s')})`, ISSUE.throughput],
    [
      `notifications per second through publishNotifications, ${show(batch?.batchSize)} per call, ${show(batch?.concurrency)} calls in flight, all delivered`,
      `${show(batch?.acceptedPerSecond, '/s')} (delivered ${show(batch?.deliveredPerSecond, '/s')})`,
      ISSUE.batch,
    ],
    ['lost events', show(report.lostEvents), ISSUE.lost],
    ['worst event-loop delay: server / client processes', `${show(worstLoop('server'), ' ms')} / ${show(worstLoop('clients'), ' ms')}`, ISSUE.loop],
  ];
  const lines = [
    `| figure (N = ${connections.requested.toLocaleString('en-US')}) | measured | issue target (N = 10,000) | graphql-yoga docs' stack | raw ws floor |`,
    '| --- | --- | --- | --- | --- |',
    ...rows.map(([figure, measured, [target, docs, floor]]) => `| ${figure} | ${measured} | ${target} | ${docs} | ${floor} |`),
  ];
  if (report.problems.length) lines.push('', `problems (${report.problems.length}):`, ...report.problems.slice(0, 20).map((problem) => `- ${problem}`));
  return lines.join('\n');
}
