/** The soak's report: its JSON shape, the verdict, and the table printed from it. */

/** RSS may end at most this much above its start (after the warm-up) for the run to show no leak. */
export const RSS_GROWTH_BOUND = 0.1;

/** One point of the curve: the service's memory and load at `atSeconds` into the churn. */
export interface SoakSample {
  readonly atSeconds: number;
  readonly rssKiB: number;
  /** `nodejs_heap_size_used_bytes` of the service's /metrics, in MiB (garbage not yet collected included). */
  readonly heapUsedMiB: number;
  readonly connections: number;
  readonly notificationSubscriptions: number;
  readonly forumSubscriptions: number;
  /** The service's CPU since the previous sample, % of one core. */
  readonly cpuPercent: number;
  /** The machine's 1-minute load average. */
  readonly loadAverage: number;
}

export interface SoakReport {
  meta: Record<string, unknown>;
  memory: {
    /** After the warm-up. */
    start: SoakSample | null;
    /** When publishing stopped, with the churn still going. */
    end: SoakSample | null;
    rssChangePercent: number;
    heapChangePercent: number;
    /**
     * The lowest heap sample in the first and in the last fifth of the measured period (after the
     * warm-up): the heap used swings with V8's collections (a sawtooth of tens of MiB at this
     * load), so a single sample says little; the floor, just after a collection, is what stays.
     */
    heapFloorStartMiB: number;
    heapFloorEndMiB: number;
    heapFloorChangePercent: number;
    /** Once every client was back and had everything (no churn). */
    settled: SoakSample | null;
    /** Once every client had closed its socket. */
    idle: SoakSample | null;
    curve: SoakSample[];
  };
  connections: {
    clients: number;
    /** First connections that were acknowledged and subscribed. */
    initiallySubscribed: number;
    connects: number;
    resumes: number;
    cleanCloses: number;
    abruptCloses: number;
    /** connectFailures + serverCloses + protocolErrors. */
    errors: number;
    connectFailures: number;
    serverCloses: number;
    protocolErrors: number;
    errorSamples: string[];
  };
  events: {
    publishedPerSecond: number;
    notificationsSent: number;
    notificationsAccepted: number;
    forumSent: number;
    forumAccepted: number;
    publishErrors: number;
    publishErrorSamples: string[];
    /** Most notifications accepted for one user, against REPLAY_MAX_PER_USER. */
    mostForOneUser: number;
    notificationsReceived: number;
    /** Accepted for a user and never received by that user's client. */
    lost: number;
    /** Received more than once by the same user (each extra receipt counts). */
    duplicates: number;
    /** Received after a notification with a later id (across reconnects). */
    outOfOrder: number;
    /** Received but never answered with that id to the publisher (e.g. a publish that failed on our side but was retained). */
    unexpected: number;
    misrouted: number;
    forumReceived: number;
    /** Users whose client had received its last accepted notification when the settle ended. */
    usersSettled: number;
    usersWithNotifications: number;
    /** A few users with a problem, and what it was. */
    samples: string[];
  };
  verdict: { noLeak: boolean; noLoss: boolean; pass: boolean };
  problems: string[];
}

export function verdictOf(report: Omit<SoakReport, 'verdict'>): SoakReport['verdict'] {
  const noLeak = Number.isFinite(report.memory.rssChangePercent) && report.memory.rssChangePercent <= RSS_GROWTH_BOUND * 100;
  const { lost, duplicates, outOfOrder, misrouted } = report.events;
  const noLoss = lost === 0 && duplicates === 0 && outOfOrder === 0 && misrouted === 0;
  return { noLeak, noLoss, pass: noLeak && noLoss && report.problems.length === 0 };
}

const show = (value: number | null | undefined, unit = ''): string =>
  value === null || value === undefined || Number.isNaN(value) ? 'n/a' : `${value.toLocaleString('en-US', { maximumFractionDigits: 2 })}${unit}`;
const signed = (value: number) => (Number.isFinite(value) ? `${value >= 0 ? '+' : ''}${show(value)} %` : 'n/a');

/** A Markdown table of the figures and the verdict, then the RSS curve. */
export function formatSoakTable(report: SoakReport): string {
  const { memory, connections, events } = report;
  const mib = (kib: number | undefined) => (kib === undefined ? Number.NaN : kib / 1024);
  const rows: Array<[string, string, string]> = [
    [
      'server RSS, start (after warm-up) → end',
      `${show(mib(memory.start?.rssKiB), ' MiB')} → ${show(mib(memory.end?.rssKiB), ' MiB')} (${signed(memory.rssChangePercent)})`,
      `≤ +${RSS_GROWTH_BOUND * 100} %`,
    ],
    [
      'V8 heap used, start → end',
      `${show(memory.start?.heapUsedMiB, ' MiB')} → ${show(memory.end?.heapUsedMiB, ' MiB')} (${signed(memory.heapChangePercent)})`,
      '',
    ],
    [
      'V8 heap used, lowest sample in the first / last fifth after the warm-up',
      `${show(memory.heapFloorStartMiB, ' MiB')} → ${show(memory.heapFloorEndMiB, ' MiB')} (${signed(memory.heapFloorChangePercent)})`,
      '',
    ],
    ['connections open at start / end', `${show(memory.start?.connections)} / ${show(memory.end?.connections)} of ${show(connections.clients)}`, ''],
    [
      'server RSS / heap once all were back and settled; once all had left',
      `${show(mib(memory.settled?.rssKiB), ' MiB')} / ${show(memory.settled?.heapUsedMiB, ' MiB')}; ${show(mib(memory.idle?.rssKiB), ' MiB')} / ${show(memory.idle?.heapUsedMiB, ' MiB')}`,
      '',
    ],
    [
      'connects (resuming with after) / clean leaves / abrupt leaves',
      `${show(connections.connects)} (${show(connections.resumes)}) / ${show(connections.cleanCloses)} / ${show(connections.abruptCloses)}`,
      '',
    ],
    [
      'connection errors: failed connects / closed by the service / protocol errors',
      `${show(connections.errors)}: ${show(connections.connectFailures)} / ${show(connections.serverCloses)} / ${show(connections.protocolErrors)}`,
      '0',
    ],
    ['events published per second (notifications + forum)', `${show(events.publishedPerSecond)}/s`, ''],
    ['notifications accepted / received', `${show(events.notificationsAccepted)} / ${show(events.notificationsReceived)}`, ''],
    [
      'lost / duplicated / out of order / misrouted notifications',
      `${show(events.lost)} / ${show(events.duplicates)} / ${show(events.outOfOrder)} / ${show(events.misrouted)}`,
      '0 / 0 / 0 / 0',
    ],
    ['received but not answered to the publisher', show(events.unexpected), ''],
    ['publish errors', show(events.publishErrors), '0'],
    ['forum events accepted / deliveries', `${show(events.forumAccepted)} / ${show(events.forumReceived)}`, ''],
    [
      'verdict',
      `${report.verdict.noLeak ? 'no leak' : 'LEAK (RSS above the bound)'}, ${report.verdict.noLoss ? 'nothing lost' : 'EVENTS LOST OR DUPLICATED'}: ${report.verdict.pass ? 'PASS' : 'FAIL'}`,
      '',
    ],
  ];
  const lines = [
    `| figure (${show(connections.clients)} clients, ${show(Number(report.meta['durationSeconds']))} s) | measured | bound |`,
    '| --- | --- | --- |',
    ...rows.map(([figure, measured, bound]) => `| ${figure} | ${measured} | ${bound} |`),
    '',
    '| s | RSS MiB | heap MiB | connections | notification / forum subscriptions | service CPU % | load avg |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...memory.curve.map(
      (s) =>
        `| ${show(s.atSeconds)} | ${show(mib(s.rssKiB))} | ${show(s.heapUsedMiB)} | ${show(s.connections)} | ${show(s.notificationSubscriptions)} / ${show(s.forumSubscriptions)} | ${show(s.cpuPercent)} | ${show(s.loadAverage)} |`,
    ),
  ];
  if (report.problems.length) lines.push('', `problems (${report.problems.length}):`, ...report.problems.slice(0, 20).map((problem) => `- ${problem}`));
  return lines.join('\n');
}
