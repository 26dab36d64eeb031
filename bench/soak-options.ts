import { commandLine, SERVICE_OPTIONS, type ServiceOptions } from './cli-options';

export interface SoakOptions extends ServiceOptions {
  /** Seconds of churn and publishing (the warm-up included). */
  readonly duration: number;
  /** Clients (users), each with one socket at a time and a `notification(userId)` subscription. */
  readonly clients: number;
  /** Events published per second, open loop. */
  readonly rate: number;
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

const { parse, positiveInteger, positiveNumber, serviceOptions, fail } = commandLine(USAGE);

/** Parses the command line (without node and the script); throws UsageError naming the bad option. */
export function parseSoakOptions(argv: readonly string[], env: NodeJS.ProcessEnv): SoakOptions {
  const values = parse(argv, {
    ...SERVICE_OPTIONS,
    duration: { type: 'string' },
    clients: { type: 'string' },
    rate: { type: 'string' },
    workers: { type: 'string' },
    warmup: { type: 'string' },
    'sample-every': { type: 'string' },
    'replay-max': { type: 'string' },
  });
  const service = serviceOptions(values, env, DEFAULT_SOAK_OPTIONS);
  const duration = positiveNumber('duration', values.duration, DEFAULT_SOAK_OPTIONS.duration);
  const warmup = values.warmup === undefined ? undefined : positiveNumber('warmup', values.warmup, 0);
  if (warmup !== undefined && warmup >= duration) fail(`--warmup must be shorter than --duration (${warmup} ≥ ${duration})`);
  return {
    ...DEFAULT_SOAK_OPTIONS,
    ...service,
    duration,
    clients: positiveInteger('clients', values.clients, DEFAULT_SOAK_OPTIONS.clients),
    rate: positiveNumber('rate', values.rate, DEFAULT_SOAK_OPTIONS.rate),
    workers: positiveInteger('workers', values.workers, DEFAULT_SOAK_OPTIONS.workers),
    warmup,
    sampleEvery: values['sample-every'] === undefined ? undefined : positiveNumber('sample-every', values['sample-every'], 0),
    replayMaxPerUser: positiveInteger('replay-max', values['replay-max'], DEFAULT_SOAK_OPTIONS.replayMaxPerUser),
  };
}
