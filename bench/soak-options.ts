import { parseArgs } from 'node:util';

export interface SoakOptions {
  /** Seconds of churn and publishing (the warm-up included). */
  readonly duration: number;
  /** Clients (users), each with one socket at a time and a `notification(userId)` subscription. */
  readonly clients: number;
  /** Events published per second, open loop. */
  readonly rate: number;
  /** Target an already running service instead of starting one. */
  readonly url?: string;
  /** With `url`: the service's pid, so that its RSS and CPU can be read from /proc. */
  readonly pid?: number;
  readonly server: 'tsx' | 'dist';
  /** Client processes that share the clients. */
  readonly workers: number;
  /** Share of the published events that are forum activity (the rest are notifications). */
  readonly forumShare: number;
  /** Share of the clients that also subscribe to `forumActivity`. */
  readonly forumSubscriberShare: number;
  /** Share of leaves that are a clean close (the rest drop the connection). */
  readonly cleanCloseShare: number;
  /** REPLAY_MAX_PER_USER of the started service: far above what one user gets in a run, so a resume never falls out of retention. */
  readonly replayMaxPerUser: number;
  /** Seconds before the start figures are taken; undefined: a fifth of the duration. */
  readonly warmup?: number;
  /** Seconds between two samples of the RSS curve; undefined: a tenth of the duration, from 1 to 10. */
  readonly sampleEvery?: number;
  readonly out?: string;
  readonly redisUrl: string;
  readonly jwtSecret?: string;
  readonly publisherToken?: string;
  readonly verbose: boolean;
}

export const DEFAULT_SOAK_OPTIONS: SoakOptions = Object.freeze({
  duration: 600,
  clients: 2000,
  rate: 200,
  server: 'tsx',
  workers: 2,
  forumShare: 0.05,
  forumSubscriberShare: 0.25,
  cleanCloseShare: 0.5,
  replayMaxPerUser: 1000,
  redisUrl: 'redis://127.0.0.1:6379',
  verbose: false,
});

const USAGE = `npm run soak -- [options]
  --duration S       seconds of churn and publishing (default ${DEFAULT_SOAK_OPTIONS.duration})
  --clients N        clients, each connecting, leaving and coming back (default ${DEFAULT_SOAK_OPTIONS.clients})
  --rate R           events published per second (default ${DEFAULT_SOAK_OPTIONS.rate}; ${DEFAULT_SOAK_OPTIONS.forumShare * 100}% forum activity)
  --url URL          target a running service (http://host:port/graphql) instead of starting one
  --pid PID          with --url: the service's pid, to read its RSS and CPU from /proc
  --server tsx|dist  how to start the service (default tsx: node --import tsx src/main.ts)
  --workers K        client processes (default ${DEFAULT_SOAK_OPTIONS.workers})
  --warmup S         seconds of churn before the start figures (default: a fifth of the duration)
  --sample-every S   seconds between RSS samples (default: a tenth of the duration, 1 to 10)
  --replay-max N     REPLAY_MAX_PER_USER of the started service (default ${DEFAULT_SOAK_OPTIONS.replayMaxPerUser})
  --out FILE         also write the JSON report to FILE
  --redis URL        REDIS_URL for the started service (default ${DEFAULT_SOAK_OPTIONS.redisUrl})
  --quiet            no progress lines on stderr`;

export class SoakUsageError extends Error {
  readonly usage = USAGE;
}

function positive(name: string, value: string | undefined, fallback: number, integer: boolean): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0 || (integer && !Number.isInteger(number))) {
    throw new SoakUsageError(`--${name} must be a positive ${integer ? 'integer' : 'number'} (got "${value}")`);
  }
  return number;
}

/** Parses the command line (without node and the script); throws SoakUsageError naming the bad option. */
export function parseSoakOptions(argv: readonly string[], env: NodeJS.ProcessEnv): SoakOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        duration: { type: 'string' },
        clients: { type: 'string' },
        rate: { type: 'string' },
        url: { type: 'string' },
        pid: { type: 'string' },
        server: { type: 'string' },
        workers: { type: 'string' },
        warmup: { type: 'string' },
        'sample-every': { type: 'string' },
        'replay-max': { type: 'string' },
        out: { type: 'string' },
        redis: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new SoakUsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) throw new SoakUsageError('');
  const server = values.server ?? DEFAULT_SOAK_OPTIONS.server;
  if (server !== 'tsx' && server !== 'dist') throw new SoakUsageError(`--server must be tsx or dist (got "${server}")`);
  const duration = positive('duration', values.duration, DEFAULT_SOAK_OPTIONS.duration, false);
  const warmup = values.warmup === undefined ? undefined : positive('warmup', values.warmup, 0, false);
  if (warmup !== undefined && warmup >= duration) throw new SoakUsageError(`--warmup must be shorter than --duration (${warmup} ≥ ${duration})`);
  return {
    ...DEFAULT_SOAK_OPTIONS,
    duration,
    clients: positive('clients', values.clients, DEFAULT_SOAK_OPTIONS.clients, true),
    rate: positive('rate', values.rate, DEFAULT_SOAK_OPTIONS.rate, false),
    url: values.url,
    pid: values.pid === undefined ? undefined : positive('pid', values.pid, 0, true),
    server,
    workers: positive('workers', values.workers, DEFAULT_SOAK_OPTIONS.workers, true),
    warmup,
    sampleEvery: values['sample-every'] === undefined ? undefined : positive('sample-every', values['sample-every'], 0, false),
    replayMaxPerUser: positive('replay-max', values['replay-max'], DEFAULT_SOAK_OPTIONS.replayMaxPerUser, true),
    out: values.out,
    redisUrl: values.redis ?? env['REDIS_URL'] ?? DEFAULT_SOAK_OPTIONS.redisUrl,
    jwtSecret: env['JWT_SECRET'],
    publisherToken: env['PUBLISHER_TOKENS']?.split(',')[0]?.trim() || undefined,
    verbose: !(values.quiet ?? false),
  };
}
