import { subscribeSse } from './sse';
import type { TestApp } from './test-app';
import { connectClient, type TestSubscription } from './ws-client';

/** One client of a transport: a WebSocket connection, or (SSE) the token its streams send. */
export interface SubscribingClient {
  subscribe<Data = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): TestSubscription<Data>;
}

export interface Transport {
  readonly name: string;
  /** A client of `server` signed in with `token` (a user JWT, without "Bearer"), or anonymous. */
  connect(server: TestApp, token?: string): SubscribingClient;
}

/** The transports every subscription behaviour is checked over: `describe.each(TRANSPORTS)('… over $name', …)`. */
export const TRANSPORTS: readonly Transport[] = [
  { name: 'WebSocket', connect: (server, token) => connectClient(server.wsUrl, token && `Bearer ${token}`) },
  {
    name: 'SSE',
    connect: (server, token) => ({ subscribe: (query, variables) => subscribeSse(server.url, query, variables, token) }),
  },
];

/** Every transport on every bus, for `describe.each`: `$transport.name` and `$bus.name` name the case. */
export function transportsAndBuses<Bus>(buses: readonly Bus[]): Array<{ transport: Transport; bus: Bus }> {
  return buses.flatMap((bus) => TRANSPORTS.map((transport) => ({ transport, bus })));
}
