import { createClient, type Client } from 'graphql-ws';
import { request } from 'node:https';
import { connect, type PeerCertificate } from 'node:tls';
import WebSocket from 'ws';

/** The certificate a new TLS connection to 127.0.0.1:`port` is served, asking for `servername`; not verified. */
export function servedCertificate(port: number, servername: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate());
      socket.end();
    });
    socket.on('error', reject);
  });
}

/** An HTTPS request to 127.0.0.1:`port` as `host`, verified against `ca`. */
export function httpsRequest(
  port: number,
  host: string,
  ca: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: '127.0.0.1', port, servername: host, ca, path, method: options.method ?? 'GET', headers: { host, ...options.headers } },
      (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** A graphql-ws client on wss://127.0.0.1:`port` that verifies the server as `host` against `ca` only. */
export function connectSecureClient(port: number, host: string, ca: string, authorization?: string): Client {
  class TrustingWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      // ws passes TLS options through to tls.connect; its types list only some of them.
      super(address, protocols, { ca, servername: host } as WebSocket.ClientOptions);
    }
  }
  return createClient({
    url: `wss://127.0.0.1:${port}/graphql`,
    webSocketImpl: TrustingWebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: authorization ? { authorization } : undefined,
    onNonLazyError: () => {},
  });
}

/** Resolves once the process on `port` reports `count` live subscriptions of `field` on its /metrics, asked a few milliseconds apart. */
export async function untilLiveSubscriptions(port: number, host: string, ca: string, field: string, count: number): Promise<void> {
  const wanted = `realtime_active_subscriptions{field="${field}"} ${count}`;
  for (;;) {
    if ((await httpsRequest(port, host, ca, '/metrics')).body.split('\n').includes(wanted)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
