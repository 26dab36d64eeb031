/**
 * What the benchmark's and the soak's command lines share: strict parsing, the checks of
 * numeric options, and the options both take (the target service, how to start one, where the
 * report goes, progress lines). Every failure is a UsageError naming the option; an empty
 * message means --help was asked for.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { ServerMode } from './server-process';

/** A bad command line; `usage` is the text to print with its message (alone for --help). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
  }
}

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
type StrictConfig<T extends OptionsConfig> = { args: string[]; options: T; strict: true; allowPositionals: false };
type ParsedValues<T extends OptionsConfig> = ReturnType<typeof parseArgs<StrictConfig<T>>>['values'];

/** The options of both command lines; each tool adds its own to these. */
export const SERVICE_OPTIONS = {
  url: { type: 'string' },
  pid: { type: 'string' },
  server: { type: 'string' },
  out: { type: 'string' },
  redis: { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean' },
} as const satisfies OptionsConfig;

/** SERVICE_OPTIONS, checked, with what the environment adds (REDIS_URL, JWT_SECRET, PUBLISHER_TOKENS). */
export interface ServiceOptions {
  /** Target an already running service instead of starting one. */
  readonly url?: string;
  /** With `url`: the service's pid, so that its RSS and CPU can be read from /proc. */
  readonly pid?: number;
  /**
   * How the started service runs: `tsx` (src/main.ts through the tsx loader) or `dist` (node
   * dist/main.js, after `npm run build`); the benchmark also takes `floor` (bench/floor-server.ts).
   */
  readonly server: ServerMode;
  /** Where the JSON report goes; none when undefined. */
  readonly out?: string;
  readonly redisUrl: string;
  readonly jwtSecret?: string;
  readonly publisherToken?: string;
  /** Print progress lines to stderr (the command line does unless --quiet; runBenchmark and runSoak do not by default). */
  readonly verbose: boolean;
}

type ServiceValues = { readonly [K in keyof typeof SERVICE_OPTIONS]?: (typeof SERVICE_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

/** The parsing helpers of one command line, each throwing UsageError with its `usage`. */
export function commandLine(usage: string) {
  const fail = (message: string): never => {
    throw new UsageError(message, usage);
  };

  const positive = (name: string, value: string | undefined, fallback: number, integer: boolean): number => {
    if (value === undefined) return fallback;
    const number = Number(value);
    if (!Number.isFinite(number) || number <= 0 || (integer && !Number.isInteger(number))) {
      fail(`--${name} must be a positive ${integer ? 'integer' : 'number'} (got "${value}")`);
    }
    return number;
  };

  return {
    fail,

    /** Parses `argv` (without node and the script) strictly: no positionals, no unknown options; --help throws. */
    parse<T extends OptionsConfig & typeof SERVICE_OPTIONS>(argv: readonly string[], options: T) {
      let values: ParsedValues<T>;
      try {
        ({ values } = parseArgs<StrictConfig<T>>({ args: [...argv], options, strict: true, allowPositionals: false }));
      } catch (error) {
        return fail(error instanceof Error ? error.message : String(error));
      }
      if ((values as { help?: boolean }).help) fail('');
      return values;
    },

    /** `value` as a positive integer, or `fallback` when the option was not given. */
    positiveInteger: (name: string, value: string | undefined, fallback: number) => positive(name, value, fallback, true),

    /** `value` as a positive finite number, or `fallback` when the option was not given. */
    positiveNumber: (name: string, value: string | undefined, fallback: number) => positive(name, value, fallback, false),

    serviceOptions(
      values: ServiceValues,
      env: NodeJS.ProcessEnv,
      defaults: Pick<ServiceOptions, 'server' | 'redisUrl'>,
      modes: readonly ServerMode[] = ['tsx', 'dist'],
    ): ServiceOptions {
      const server = (values.server ?? defaults.server) as ServerMode;
      if (!modes.includes(server)) fail(`--server must be ${modes.join(' or ')} (got "${server}")`);
      return {
        url: values.url,
        pid: values.pid === undefined ? undefined : positive('pid', values.pid, 0, true),
        server,
        out: values.out,
        redisUrl: values.redis ?? env['REDIS_URL'] ?? defaults.redisUrl,
        jwtSecret: env['JWT_SECRET'],
        publisherToken: env['PUBLISHER_TOKENS']?.split(',')[0]?.trim() || undefined,
        verbose: !(values.quiet ?? false),
      };
    },
  };
}
