import { accessSync, constants, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type ChannelMap, parseChannelMap } from '../laravel/channel-map';
import type { RedisNode, RedisTopology } from '../redis/redis-topology';
import {
  type AcmeConfig,
  type Config,
  DEVELOPMENT_JWT_SECRET,
  DEVELOPMENT_PUBLISHER_TOKEN,
  type LaravelAuthConfig,
  type LaravelConfig,
  LETS_ENCRYPT_DIRECTORY_URL,
  type LogLevel,
} from './config';

/** The channel map used when LARAVEL_CHANNEL_MAP is unset (beside src/ and dist/ alike). */
export const DEFAULT_CHANNEL_MAP_FILE = join(__dirname, '..', '..', 'config', 'laravel-channels.json');

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

/** A comma-separated list of secrets; undefined when unset; one too short to be a secret is refused. */
function tokenList(env: Environment, name: string): string[] | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  const tokens = raw
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
  if (tokens.length === 0 || tokens.some((token) => token.length < 16))
    throw new ConfigError(name, 'must list secrets of at least 16 characters, comma-separated');
  return tokens;
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

function redisUrl(env: Environment, name = 'REDIS_URL'): string | undefined {
  const url = read(env, name);
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(name, 'is not a URL (expected redis://host:port or rediss://host:port)');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ConfigError(name, `must start with redis:// or rediss:// (got ${parsed.protocol}//)`);
  }
  return url;
}

function redisNodes(env: Environment, name: string): RedisNode[] | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  return raw.split(',').map((entry) => {
    const match = /^\s*([^\s:]+|\[[0-9a-fA-F:]+\]):(\d{1,5})\s*$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) throw new ConfigError(name, `must be a comma-separated list of host:port (got "${entry.trim()}")`);
    return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
  });
}

/**
 * Where a Redis is: `<prefix>REDIS_URL`, or `<prefix>REDIS_SENTINELS` with
 * `<prefix>REDIS_SENTINEL_NAME`, or (for the service's own Redis) REDIS_CLUSTER_NODES; at most one.
 */
function redisTopology(env: Environment, prefix: '' | 'LARAVEL_'): RedisTopology | undefined {
  const names = { url: `${prefix}REDIS_URL`, sentinels: `${prefix}REDIS_SENTINELS`, cluster: `${prefix}REDIS_CLUSTER_NODES` };
  const ways = prefix === '' ? [names.url, names.sentinels, names.cluster] : [names.url, names.sentinels];
  const set = ways.filter((name) => read(env, name) !== undefined);
  if (set.length > 1) throw new ConfigError(set[1]!, `cannot be set with ${set[0]}: set exactly one of ${ways.join(', ')}`);
  const url = redisUrl(env, names.url);
  if (url !== undefined) return { kind: 'single', url };
  const sentinels = redisNodes(env, names.sentinels);
  const name = read(env, `${prefix}REDIS_SENTINEL_NAME`);
  if (sentinels !== undefined) {
    if (name === undefined)
      throw new ConfigError(`${prefix}REDIS_SENTINEL_NAME`, `must be set with ${names.sentinels}: the name the Sentinels know the master by`);
    return { kind: 'sentinel', sentinels, name, sentinelPassword: read(env, `${prefix}REDIS_SENTINEL_PASSWORD`) };
  }
  if (name !== undefined) throw new ConfigError(`${prefix}REDIS_SENTINEL_NAME`, `is set but ${names.sentinels} is not`);
  const nodes = prefix === '' ? redisNodes(env, names.cluster) : undefined;
  return nodes && { kind: 'cluster', nodes };
}

/** REDIS_KEY_PREFIX, without braces: they would make a Redis Cluster hash tag of the prefix and put every key in one slot. */
function keyPrefix(env: Environment): string {
  const prefix = read(env, 'REDIS_KEY_PREFIX') ?? 'mechamap-realtime:';
  if (/[{}]/.test(prefix)) throw new ConfigError('REDIS_KEY_PREFIX', `must not contain { or } (got "${prefix}")`);
  return prefix;
}

/** The same Redis, as far as the configuration can tell. */
function sameRedis(a: RedisTopology, b: RedisTopology): boolean {
  if (a.kind === 'single' && b.kind === 'single') return a.url === b.url;
  if (a.kind === 'sentinel' && b.kind === 'sentinel') return a.name === b.name;
  return false;
}

/** WORKERS: 1, a number, or `auto` (one per core); above 1 only with Redis, which the workers share. */
function workers(env: Environment, bus: Config['bus']): number {
  const name = 'WORKERS';
  const count = read(env, name)?.toLowerCase() === 'auto' ? availableParallelism() : integer(env, name, 1, 1, 256);
  if (count > 1 && bus.kind === 'memory') {
    throw new ConfigError(
      name,
      'above 1 needs Redis (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES): the workers share subscriptions, history and presence through it',
    );
  }
  return count;
}

function channelMap(env: Environment) {
  const name = 'LARAVEL_CHANNEL_MAP';
  const file = read(env, name) ?? DEFAULT_CHANNEL_MAP_FILE;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(name, `names a file that cannot be read as JSON: ${file} (${(error as Error).message})`);
  }
  try {
    return parseChannelMap(json);
  } catch (error) {
    throw new ConfigError(name, `names an invalid channel map: ${file}: ${(error as Error).message}`);
  }
}

/** LARAVEL_AUTH_URL (http or https) and its bounds; undefined when it is unset. */
function laravelAuth(env: Environment): LaravelAuthConfig | undefined {
  const name = 'LARAVEL_AUTH_URL';
  const url = read(env, name);
  const ttlSeconds = integer(env, 'LARAVEL_AUTH_TTL_SECONDS', 60, 1, 86_400);
  const timeoutMs = integer(env, 'LARAVEL_AUTH_TIMEOUT_MS', 3_000, 50, 60_000);
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(name, `is not a URL (expected e.g. https://mechamap.example/realtime/broadcasting/auth, got "${url}")`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new ConfigError(name, `must start with http:// or https:// (got ${parsed.protocol}//)`);
  return Object.freeze({ url, ttlSeconds, timeoutMs });
}

/** Laravel's broadcasters and authorization: off unless LARAVEL_REDIS_URL, the three PUSHER_APP_* variables or LARAVEL_AUTH_URL are set. */
function laravel(env: Environment, bus: Config['bus'], map: ChannelMap): LaravelConfig | undefined {
  const topology = redisTopology(env, 'LARAVEL_');
  const prefix = read(env, 'LARAVEL_REDIS_PREFIX');
  if (topology !== undefined && prefix === undefined) {
    throw new ConfigError('LARAVEL_REDIS_PREFIX', "must be set with LARAVEL_REDIS_URL: Laravel's database.redis.options.prefix, e.g. laravel-database-");
  }
  if (topology === undefined && prefix !== undefined) throw new ConfigError('LARAVEL_REDIS_PREFIX', 'is set but LARAVEL_REDIS_URL is not');
  if (topology !== undefined && prefix !== undefined && bus.kind === 'redis' && sameRedis(bus.topology, topology) && bus.keyPrefix.startsWith(prefix)) {
    throw new ConfigError(
      'LARAVEL_REDIS_PREFIX',
      `("${prefix}") must not begin REDIS_KEY_PREFIX ("${bus.keyPrefix}"): the service would read its own channels as Laravel's`,
    );
  }

  const pusherNames = ['PUSHER_APP_ID', 'PUSHER_APP_KEY', 'PUSHER_APP_SECRET'] as const;
  const [appId, key, secret] = pusherNames.map((name) => read(env, name));
  const missing = pusherNames.filter((name) => read(env, name) === undefined);
  if (missing.length > 0 && missing.length < pusherNames.length) {
    throw new ConfigError(
      missing[0] as string,
      `must be set together with ${pusherNames.filter((name) => !missing.includes(name)).join(' and ')} (all three or none)`,
    );
  }
  const pusher = appId && key && secret ? Object.freeze({ appId, key, secret }) : undefined;
  const auth = laravelAuth(env);

  if (topology === undefined && pusher === undefined && auth === undefined) return undefined;
  return Object.freeze({ channelMap: map, redis: topology && prefix ? Object.freeze({ topology, prefix }) : undefined, pusher, auth });
}

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

/** The certificate the service obtains itself: off unless ACME_DOMAINS is set. */
function acme(env: Environment, bus: Config['bus'], tlsFilesSet: boolean): AcmeConfig | undefined {
  const names = read(env, 'ACME_DOMAINS');
  if (names === undefined) {
    // ACME_HTTP_PORT and ACME_DIR may be preset (the systemd unit does) for when ACME_DOMAINS is
    // set; the account's own settings without domains are a mistake worth one line.
    const stray = ['ACME_EMAIL', 'ACME_DIRECTORY_URL'].find((name) => read(env, name) !== undefined);
    if (stray) throw new ConfigError(stray, 'is set but ACME_DOMAINS is not (the domains to obtain a certificate for)');
    return undefined;
  }
  if (tlsFilesSet) throw new ConfigError('ACME_DOMAINS', 'cannot be set together with TLS_CERT_FILE and TLS_KEY_FILE (one source of certificates)');
  const domains = names
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  const invalid = domains.find((name) => !DOMAIN.test(name));
  if (invalid !== undefined) {
    throw new ConfigError('ACME_DOMAINS', `must list host names (no wildcard: HTTP-01 cannot validate one), got "${invalid}"`);
  }
  const email = read(env, 'ACME_EMAIL');
  if (email !== undefined && !/^[^@\s]+@[^@\s]+$/.test(email)) throw new ConfigError('ACME_EMAIL', `must be an email address (got "${email}")`);
  const directoryUrl = read(env, 'ACME_DIRECTORY_URL') ?? LETS_ENCRYPT_DIRECTORY_URL;
  if (!/^https:\/\/[^\s]+$/.test(directoryUrl)) throw new ConfigError('ACME_DIRECTORY_URL', `must be an https:// URL (got "${directoryUrl}")`);
  const dir = read(env, 'ACME_DIR');
  if (dir === undefined && bus.kind !== 'redis') {
    throw new ConfigError('ACME_DIR', 'must be set with ACME_DOMAINS when REDIS_URL is not (where the account key and certificate are kept)');
  }
  return Object.freeze({ domains: Object.freeze(domains), email, directoryUrl, httpPort: integer(env, 'ACME_HTTP_PORT', 80, 0, 65535), dir });
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

  const topology = redisTopology(env, '');
  const map = channelMap(env);
  const maxPayloadBytes = integer(env, 'MAX_PAYLOAD_BYTES', 65536, 256, 16 * 1024 * 1024);
  const minReplicasAck = integer(env, 'REDIS_MIN_REPLICAS_ACK', 0, 0, 16);
  if (topology === undefined && minReplicasAck > 0)
    throw new ConfigError('REDIS_MIN_REPLICAS_ACK', 'needs Redis (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES)');
  const bus: Config['bus'] =
    topology === undefined ? { kind: 'memory' as const } : Object.freeze({ kind: 'redis' as const, topology, keyPrefix: keyPrefix(env), minReplicasAck });

  return Object.freeze({
    production,
    port: integer(env, 'PORT', 4000, 0, 65535),
    host: read(env, 'HOST') ?? '0.0.0.0',
    bus,
    workers: workers(env, bus),
    jwt: Object.freeze({ secret: jwtSecret, issuer: read(env, 'JWT_ISSUER'), audience: read(env, 'JWT_AUDIENCE') }),
    publisherTokens: Object.freeze(publisherTokens),
    tls: certFile && keyFile ? Object.freeze({ certFile, keyFile }) : undefined,
    acme: acme(env, bus, certFile !== undefined),
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
    channelMap: map,
    laravel: laravel(env, bus, map),
    admin: flag(env, 'ADMIN', false) ? Object.freeze({ tokens: Object.freeze(tokenList(env, 'ADMIN_TOKENS') ?? publisherTokens) }) : null,
    usesDevelopmentSecrets: jwtSecret === DEVELOPMENT_JWT_SECRET || publisherTokens.includes(DEVELOPMENT_PUBLISHER_TOKEN),
  });
}
