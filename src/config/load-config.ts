import { accessSync, constants } from 'node:fs';
import { type Config, DEVELOPMENT_JWT_SECRET, DEVELOPMENT_PUBLISHER_TOKEN, type LogLevel } from './config';

export type Environment = Readonly<Record<string, string | undefined>>;

/** A setting that cannot be used; its message is the one line the operator sees. */
export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function read(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === '' ? undefined : value;
}

function integer(env: Environment, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

function flag(env: Environment, name: string, fallback: boolean): boolean {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'on', 'yes'].includes(raw)) return true;
  if (['0', 'false', 'off', 'no'].includes(raw)) return false;
  throw new ConfigError(name, `must be on or off (got "${raw}")`);
}

function readableFile(env: Environment, name: string): string | undefined {
  const path = read(env, name);
  if (path === undefined) return undefined;
  try {
    accessSync(path, constants.R_OK);
  } catch {
    throw new ConfigError(name, `names a file that cannot be read: ${path}`);
  }
  return path;
}

function secret(env: Environment, name: string, developmentValue: string, production: boolean): string {
  const value = read(env, name) ?? developmentValue;
  if (production && value.split(',').some((part) => part.trim() === developmentValue)) {
    throw new ConfigError(name, 'must be set to a real secret when NODE_ENV=production (the development value is refused)');
  }
  return value;
}

function redisUrl(env: Environment): string | undefined {
  const url = read(env, 'REDIS_URL');
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('REDIS_URL', 'is not a URL (expected redis://host:port or rediss://host:port)');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ConfigError('REDIS_URL', `must start with redis:// or rediss:// (got ${parsed.protocol}//)`);
  }
  return url;
}

/** Parses the environment into a frozen Config, or throws a ConfigError naming the variable. */
export function loadConfig(env: Environment): Config {
  const production = read(env, 'NODE_ENV') === 'production';

  const jwtSecret = secret(env, 'JWT_SECRET', DEVELOPMENT_JWT_SECRET, production);
  const publisherTokens = secret(env, 'PUBLISHER_TOKENS', DEVELOPMENT_PUBLISHER_TOKEN, production)
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
  if (publisherTokens.length === 0) throw new ConfigError('PUBLISHER_TOKENS', 'must list at least one token');

  const certFile = readableFile(env, 'TLS_CERT_FILE');
  const keyFile = readableFile(env, 'TLS_KEY_FILE');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError(certFile === undefined ? 'TLS_CERT_FILE' : 'TLS_KEY_FILE', 'must be set together with the other TLS file');
  }

  const logLevel = (read(env, 'LOG_LEVEL') ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);

  const url = redisUrl(env);
  const maxPayloadBytes = integer(env, 'MAX_PAYLOAD_BYTES', 65536, 256, 16 * 1024 * 1024);

  return Object.freeze({
    production,
    port: integer(env, 'PORT', 4000, 0, 65535),
    host: read(env, 'HOST') ?? '0.0.0.0',
    bus: url === undefined ? { kind: 'memory' as const } : { kind: 'redis' as const, url, keyPrefix: read(env, 'REDIS_KEY_PREFIX') ?? 'mechamap-realtime:' },
    jwt: Object.freeze({ secret: jwtSecret, issuer: read(env, 'JWT_ISSUER'), audience: read(env, 'JWT_AUDIENCE') }),
    publisherTokens: Object.freeze(publisherTokens),
    tls: certFile && keyFile ? Object.freeze({ certFile, keyFile }) : undefined,
    graphiql: flag(env, 'GRAPHIQL', !production),
    maxPayloadBytes,
    maxFrameBytes: integer(env, 'WS_MAX_FRAME_BYTES', Math.max(1024 * 1024, 2 * maxPayloadBytes), 1024, 64 * 1024 * 1024),
    replay: Object.freeze({
      maxPerUser: integer(env, 'REPLAY_MAX_PER_USER', 100, 1, 100_000),
      maxAgeSeconds: integer(env, 'REPLAY_MAX_AGE_SECONDS', 86_400, 1, 30 * 86_400),
    }),
    limits: Object.freeze({
      maxConnections: integer(env, 'MAX_CONNECTIONS', 19_500, 1, 1_000_000),
      maxSubscriptionsPerConnection: integer(env, 'MAX_SUBSCRIPTIONS_PER_CONNECTION', 50, 1, 10_000),
      connectionInitTimeoutMs: integer(env, 'CONNECTION_INIT_TIMEOUT_MS', 5_000, 100, 120_000),
      heartbeatIntervalMs: integer(env, 'HEARTBEAT_INTERVAL_MS', 30_000, 100, 600_000),
      maxBufferedBytes: integer(env, 'MAX_BUFFERED_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024),
      maxQueryDepth: integer(env, 'MAX_QUERY_DEPTH', 8, 1, 100),
      maxQueryAliases: integer(env, 'MAX_QUERY_ALIASES', 15, 0, 1000),
      maxQueryTokens: integer(env, 'MAX_QUERY_TOKENS', 1000, 10, 100_000),
      introspection: flag(env, 'INTROSPECTION', !production),
    }),
    logLevel,
    usesDevelopmentSecrets: jwtSecret === DEVELOPMENT_JWT_SECRET || publisherTokens.includes(DEVELOPMENT_PUBLISHER_TOKEN),
  });
}
