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
  readonly logLevel: LogLevel;
  /** True when the development JWT secret and publisher token are in use. */
  readonly usesDevelopmentSecrets: boolean;
}

export const DEVELOPMENT_JWT_SECRET = 'mechamap-realtime-development-jwt-secret';
export const DEVELOPMENT_PUBLISHER_TOKEN = 'mechamap-realtime-development-publisher-token';
