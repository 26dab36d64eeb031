import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export type RequestListener = http.RequestListener;

/** Plain HTTP, or HTTPS (and so `wss://`) when certificate files are given. */
export function createHttpServer(listener: RequestListener, tls?: TlsFiles): http.Server {
  if (!tls) return http.createServer(listener);
  return https.createServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, listener);
}
