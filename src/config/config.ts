import type { EventBusConfig } from '../history/create-delivery';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Everything the service needs to know, parsed and validated once at start. */
export interface Config {
  readonly production: boolean;
  readonly port: number;
  readonly host: string;
  readonly bus: EventBusConfig;
  readonly jwt: { readonly secret: string; readonly issuer?: string; readonly audience?: string };
  readonly publisherTokens: readonly string[];
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  readonly graphiql: boolean;
  readonly maxPayloadBytes: number;
  readonly maxFrameBytes: number;
  readonly replay: { readonly maxPerUser: number; readonly maxAgeSeconds: number };
  readonly limits: Limits;
  readonly logLevel: LogLevel;
  /** True when the development JWT secret and publisher token are in use. */
  readonly usesDevelopmentSecrets: boolean;
}

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
