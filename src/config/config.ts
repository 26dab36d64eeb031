import type { ChannelMap } from '../laravel/channel-map';
import type { LaravelAuthConfig, LaravelConfig } from '../laravel/laravel-config';
import type { SharedStateConfig } from '../redis/shared-state';

export type { LaravelAuthConfig, LaravelConfig };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Everything the service needs to know, parsed and validated once at start. */
export interface Config {
  readonly production: boolean;
  readonly port: number;
  readonly host: string;
  /** Where the processes share their state: REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES, else in memory. */
  readonly bus: SharedStateConfig;
  /** WORKERS: processes serving one port (node:cluster); 1 serves from this process. */
  readonly workers: number;
  readonly jwt: { readonly secret: string; readonly issuer?: string; readonly audience?: string };
  readonly publisherTokens: readonly string[];
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** The certificate obtained and renewed by the service itself (src/tls/); never together with `tls`. */
  readonly acme?: AcmeConfig;
  readonly graphiql: boolean;
  readonly maxPayloadBytes: number;
  readonly maxFrameBytes: number;
  readonly replay: { readonly maxPerUser: number; readonly maxAgeSeconds: number };
  readonly limits: Limits;
  readonly logLevel: LogLevel;
  /** LARAVEL_CHANNEL_MAP, or config/laravel-channels.json: Laravel's channel names, read both ways (src/laravel/). */
  readonly channelMap: ChannelMap;
  /** Laravel's own broadcasters and channel authorization (src/laravel/); unset unless LARAVEL_REDIS_URL, PUSHER_APP_* or LARAVEL_AUTH_URL are set. */
  readonly laravel?: LaravelConfig;
  /** The live admin view (ADMIN=on): null when off. `tokens` open it: ADMIN_TOKENS, else the publisher tokens. */
  readonly admin: { readonly tokens: readonly string[] } | null;
  /** True when the development JWT secret and publisher token are in use. */
  readonly usesDevelopmentSecrets: boolean;
}

export interface AcmeConfig {
  readonly domains: readonly string[];
  readonly email?: string;
  readonly directoryUrl: string;
  readonly httpPort: number;
  /** The store without Redis; with Redis, where a copy of the certificate in service is written. */
  readonly dir?: string;
}

/** Let's Encrypt's production directory; its staging one (untrusted certificates, generous limits) is for trying a setup. */
export const LETS_ENCRYPT_DIRECTORY_URL = 'https://acme-v02.api.letsencrypt.org/directory';

/** Bounds that keep one client from hurting the others; each has its own variable. */
export interface Limits {
  readonly maxConnections: number;
  readonly maxSubscriptionsPerConnection: number;
  readonly connectionInitTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxBufferedBytes: number;
  readonly maxQueryDepth: number;
  readonly maxQueryAliases: number;
  readonly maxQueryTokens: number;
  readonly introspection: boolean;
}

export const DEVELOPMENT_JWT_SECRET = 'mechamap-realtime-development-jwt-secret';
export const DEVELOPMENT_PUBLISHER_TOKEN = 'mechamap-realtime-development-publisher-token';
