import { commandLine, SERVICE_OPTIONS, type ServiceOptions } from './cli-options';
import type { Transport } from './protocol';

/** What a run measures, in the order it measures them. Connecting always happens. */
export const PHASES = ['memory', 'broadcast', 'latency', 'throughput', 'batch', 'burst'] as const;
export type Phase = (typeof PHASES)[number];

export interface BenchmarkOptions extends ServiceOptions {
  /** Connections to open, one user (and one `notification` subscription) each. */
  readonly n: number;
  /**
   * With `url`: other processes of the same service (sharing its Redis), each `http://host:port/graphql`.
   * Client process w connects to process w mod (1 + also.length); live counts, deliveries and
   * heap are summed over all of them, RSS and CPU over `alsoPids`.
   */
  readonly also?: readonly string[];
  readonly alsoPids?: readonly number[];
  /** WORKERS of the started service: its worker processes (1: the service is one process). */
  readonly workers: number;
  /** Client processes that share the connections, each from a loopback address of its own. */
  readonly clients: number;
  /** graphql-ws sockets, or GraphQL-over-SSE streams (one per subscription). */
  readonly transport: Transport;
  /** Also subscribe every connection to `forumActivity(forumId)` (needed by the broadcast phase). */
  readonly forum: boolean;
  /** Notifications per second in the latency phase. */
  readonly rate: number;
  /** Seconds the latency phase publishes for. */
  readonly duration: number;
  /** Forum events in the broadcast phase (after one unmeasured warm-up event). */
  readonly broadcasts: number;
  /** publishNotification calls in the throughput phase, and how many are in flight at once. */
  readonly publishes: number;
  readonly concurrency: number;
  /** The batch phase: `publishes` notifications in `publishNotifications` calls of `batchSize`, `batchConcurrency` calls in flight. */
  readonly batchSize: number;
  readonly batchConcurrency: number;
  /** The burst phase: notifications sent as in the batch phase, and the seconds after it when RSS is read again. */
  readonly burst: number;
  readonly settleSeconds: number;
  readonly phases: readonly Phase[];
}

/** The command line's: the service against the floor (and WebSocket against SSE), `runs` times each; or one run alone. */
export interface ComparisonOptions extends BenchmarkOptions {
  /** Runs of each side, alternating; their medians are compared. */
  readonly runs: number;
  /** Connections of the WebSocket-vs-SSE comparison; 0 leaves it out. */
  readonly sseN: number;
}

export interface CommandLineOptions extends ComparisonOptions {
  /** Compare with the floor (the default), or run the chosen server alone (--no-floor, or --server floor). */
  readonly againstFloor: boolean;
}

export const DEFAULT_OPTIONS: BenchmarkOptions = Object.freeze({
  n: 1000,
  server: 'tsx',
  workers: 1,
  clients: 2,
  transport: 'ws',
  forum: true,
  rate: 1000,
  duration: 5,
  broadcasts: 10,
  publishes: 20_000,
  concurrency: 64,
  batchSize: 500,
  batchConcurrency: 4,
  burst: 50_000,
  settleSeconds: 30,
  phases: PHASES,
  redisUrl: 'redis://127.0.0.1:6379',
  verbose: false,
});

const USAGE = `npm run bench -- [options]
  Runs the floor (bench/floor-server.ts) and the service alternately, --runs times each, then the
  service over WebSocket and over SSE at --sse-n; prints the medians, each figure of issue 18 as a
  ratio, and exits 1 when one misses its limit (or an event was lost).
  --runs R           runs of each side (default 1; the issue's figures: 5)
  --sse-n N          connections of the WebSocket-vs-SSE comparison (default: --n, at most 2000; 0: none)
  --no-floor         run the service once, alone, and print its figures (the bench before it was a check)
  --n N              connections (default ${DEFAULT_OPTIONS.n})
  --url URL          target a running service (http://host:port/graphql) instead of starting one
  --pid PID          with --url: the service's pid, to read its RSS and CPU from /proc
  --also URL,URL     with --url: more processes of the same service (same Redis); clients spread over all
  --also-pids P,P    their pids, so RSS and CPU are summed over every process
  --server tsx|dist|floor  how to start the service (default tsx: node --import tsx src/main.ts);
                     floor: run bench/floor-server.ts alone, the same load without GraphQL
  --workers W        WORKERS of the started service: W worker processes on one port (default ${DEFAULT_OPTIONS.workers});
                     RSS and CPU are summed over the primary and every worker
  --clients K        client processes, each from a source address of its own (default ${DEFAULT_OPTIONS.clients})
  --transport ws|sse subscribe over graphql-ws sockets or GraphQL-over-SSE streams (default ws; the floor: ws only)
  --forum / --no-forum   also subscribe forumActivity(forumId) (default on)
  --rate R           notifications/s in the latency phase (default ${DEFAULT_OPTIONS.rate})
  --duration S       seconds of the latency phase (default ${DEFAULT_OPTIONS.duration})
  --broadcasts B     forum events in the broadcast phase (default ${DEFAULT_OPTIONS.broadcasts})
  --publishes M      publishNotification calls in the throughput phase (default ${DEFAULT_OPTIONS.publishes})
  --concurrency C    HTTP requests in flight in the throughput phase (default ${DEFAULT_OPTIONS.concurrency})
  --batch-size S     notifications per publishNotifications call in the batch phase (default ${DEFAULT_OPTIONS.batchSize}; the phase sends --publishes in all)
  --batch-concurrency C  publishNotifications calls in flight in the batch phase (default ${DEFAULT_OPTIONS.batchConcurrency})
  --burst M          notifications in the burst phase, sent as in the batch phase (default ${DEFAULT_OPTIONS.burst})
  --settle S         seconds after the burst when RSS is read again (default ${DEFAULT_OPTIONS.settleSeconds})
  --phases LIST      comma-separated subset of ${PHASES.join(',')} (default all)
  --out FILE         also write the JSON report to FILE
  --redis URL        REDIS_URL for the started service (default ${DEFAULT_OPTIONS.redisUrl}; "memory" for the in-memory bus)
  --quiet            no progress lines on stderr`;

const { parse, positiveInteger, positiveNumber, serviceOptions, fail } = commandLine(USAGE);

function phasesOf(value: string | undefined): readonly Phase[] {
  if (value === undefined) return DEFAULT_OPTIONS.phases;
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!(PHASES as readonly string[]).includes(name)) fail(`--phases: unknown phase "${name}" (known: ${PHASES.join(', ')})`);
  }
  return PHASES.filter((phase) => names.includes(phase));
}

/** Parses the command line (without node and the script); throws UsageError naming the bad option. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): CommandLineOptions {
  const values = parse(argv, {
    ...SERVICE_OPTIONS,
    runs: { type: 'string' },
    'sse-n': { type: 'string' },
    'no-floor': { type: 'boolean' },
    n: { type: 'string' },
    also: { type: 'string' },
    'also-pids': { type: 'string' },
    workers: { type: 'string' },
    clients: { type: 'string' },
    transport: { type: 'string' },
    forum: { type: 'boolean' },
    'no-forum': { type: 'boolean' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    broadcasts: { type: 'string' },
    publishes: { type: 'string' },
    concurrency: { type: 'string' },
    'batch-size': { type: 'string' },
    'batch-concurrency': { type: 'string' },
    burst: { type: 'string' },
    settle: { type: 'string' },
    phases: { type: 'string' },
  });
  const transport = values.transport ?? DEFAULT_OPTIONS.transport;
  if (transport !== 'ws' && transport !== 'sse') fail(`--transport must be ws or sse (got "${transport}")`);
  const service = serviceOptions(values, env, DEFAULT_OPTIONS, ['tsx', 'dist', 'floor']);
  const n = positiveInteger('n', values.n, DEFAULT_OPTIONS.n);
  const workers = positiveInteger('workers', values.workers, DEFAULT_OPTIONS.workers);
  if (workers > 1 && (service.url !== undefined || service.server === 'floor'))
    fail('--workers sets WORKERS of a service started here (with --url, give --pid of its primary: its workers are counted with it)');
  if (workers > 1 && !values['no-floor']) fail('--workers above 1 needs --no-floor: the floor is one process, so the two would not compare');
  const sseN = values['sse-n'] === '0' ? 0 : positiveInteger('sse-n', values['sse-n'], Math.min(n, 2000));
  return {
    ...service,
    againstFloor: service.server !== 'floor' && !values['no-floor'],
    runs: positiveInteger('runs', values.runs, 1),
    sseN,
    n,
    also: values.also?.split(',').filter((url) => url !== ''),
    alsoPids: values['also-pids']?.split(',').map((pid) => positiveInteger('also-pids', pid, 0)),
    workers,
    clients: positiveInteger('clients', values.clients, DEFAULT_OPTIONS.clients),
    transport: transport as Transport,
    forum: values['no-forum'] ? false : (values.forum ?? DEFAULT_OPTIONS.forum),
    rate: positiveNumber('rate', values.rate, DEFAULT_OPTIONS.rate),
    duration: positiveNumber('duration', values.duration, DEFAULT_OPTIONS.duration),
    broadcasts: positiveInteger('broadcasts', values.broadcasts, DEFAULT_OPTIONS.broadcasts),
    publishes: positiveInteger('publishes', values.publishes, DEFAULT_OPTIONS.publishes),
    concurrency: positiveInteger('concurrency', values.concurrency, DEFAULT_OPTIONS.concurrency),
    batchSize: positiveInteger('batch-size', values['batch-size'], DEFAULT_OPTIONS.batchSize),
    batchConcurrency: positiveInteger('batch-concurrency', values['batch-concurrency'], DEFAULT_OPTIONS.batchConcurrency),
    burst: positiveInteger('burst', values.burst, DEFAULT_OPTIONS.burst),
    settleSeconds: positiveNumber('settle', values.settle, DEFAULT_OPTIONS.settleSeconds),
    phases: phasesOf(values.phases),
  };
}
