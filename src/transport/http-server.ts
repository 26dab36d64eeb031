import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export type RequestListener = http.RequestListener;

/**
 * Plain HTTP, or HTTPS (and so `wss://`) when certificate files are given; `deferred`: HTTPS
 * whose certificate is set (setSecureContext) before it listens, by the ACME client.
 */
export function createHttpServer(listener: RequestListener, tls?: TlsFiles | 'deferred'): http.Server {
  if (!tls) return http.createServer(listener);
  if (tls === 'deferred') return https.createServer({}, listener);
  return https.createServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, listener);
}
