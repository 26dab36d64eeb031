import { commandLine, SERVICE_OPTIONS, type ServiceOptions } from './cli-options';

/** What a run measures, in the order it measures them. Connecting always happens. */
export const PHASES = ['memory', 'broadcast', 'latency', 'throughput', 'batch'] as const;
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
  /** Client processes that share the connections. */
  readonly clients: number;
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
  readonly phases: readonly Phase[];
}

export const DEFAULT_OPTIONS: BenchmarkOptions = Object.freeze({
  n: 1000,
  server: 'tsx',
  clients: 2,
  forum: true,
  rate: 1000,
  duration: 5,
  broadcasts: 10,
  publishes: 20_000,
  concurrency: 64,
  batchSize: 500,
  batchConcurrency: 4,
  phases: PHASES,
  redisUrl: 'redis://127.0.0.1:6379',
  verbose: false,
});

const USAGE = `npm run bench -- [options]
  --n N              connections (default ${DEFAULT_OPTIONS.n})
  --url URL          target a running service (http://host:port/graphql) instead of starting one
  --pid PID          with --url: the service's pid, to read its RSS and CPU from /proc
  --also URL,URL     with --url: more processes of the same service (same Redis); clients spread over all
  --also-pids P,P    their pids, so RSS and CPU are summed over every process
  --server tsx|dist|floor  how to start the service (default tsx: node --import tsx src/main.ts);
                     floor: bench/floor-server.ts, the same load without GraphQL, for ratios
  --clients K        client processes (default ${DEFAULT_OPTIONS.clients})
  --forum / --no-forum   also subscribe forumActivity(forumId) (default on)
  --rate R           notifications/s in the latency phase (default ${DEFAULT_OPTIONS.rate})
  --duration S       seconds of the latency phase (default ${DEFAULT_OPTIONS.duration})
  --broadcasts B     forum events in the broadcast phase (default ${DEFAULT_OPTIONS.broadcasts})
  --publishes M      publishNotification calls in the throughput phase (default ${DEFAULT_OPTIONS.publishes})
  --concurrency C    HTTP requests in flight in the throughput phase (default ${DEFAULT_OPTIONS.concurrency})
  --batch-size S     notifications per publishNotifications call in the batch phase (default ${DEFAULT_OPTIONS.batchSize}; the phase sends --publishes in all)
  --batch-concurrency C  publishNotifications calls in flight in the batch phase (default ${DEFAULT_OPTIONS.batchConcurrency})
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
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchmarkOptions {
  const values = parse(argv, {
    ...SERVICE_OPTIONS,
    n: { type: 'string' },
    also: { type: 'string' },
    'also-pids': { type: 'string' },
    clients: { type: 'string' },
    forum: { type: 'boolean' },
    'no-forum': { type: 'boolean' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    broadcasts: { type: 'string' },
    publishes: { type: 'string' },
    concurrency: { type: 'string' },
    'batch-size': { type: 'string' },
    'batch-concurrency': { type: 'string' },
    phases: { type: 'string' },
  });
  return {
    ...serviceOptions(values, env, DEFAULT_OPTIONS, ['tsx', 'dist', 'floor']),
    n: positiveInteger('n', values.n, DEFAULT_OPTIONS.n),
    also: values.also?.split(',').filter((url) => url !== ''),
    alsoPids: values['also-pids']?.split(',').map((pid) => positiveInteger('also-pids', pid, 0)),
    clients: positiveInteger('clients', values.clients, DEFAULT_OPTIONS.clients),
    forum: values['no-forum'] ? false : (values.forum ?? DEFAULT_OPTIONS.forum),
    rate: positiveNumber('rate', values.rate, DEFAULT_OPTIONS.rate),
    duration: positiveNumber('duration', values.duration, DEFAULT_OPTIONS.duration),
    broadcasts: positiveInteger('broadcasts', values.broadcasts, DEFAULT_OPTIONS.broadcasts),
    publishes: positiveInteger('publishes', values.publishes, DEFAULT_OPTIONS.publishes),
    concurrency: positiveInteger('concurrency', values.concurrency, DEFAULT_OPTIONS.concurrency),
    batchSize: positiveInteger('batch-size', values['batch-size'], DEFAULT_OPTIONS.batchSize),
    batchConcurrency: positiveInteger('batch-concurrency', values['batch-concurrency'], DEFAULT_OPTIONS.batchConcurrency),
    phases: phasesOf(values.phases),
  };
}
