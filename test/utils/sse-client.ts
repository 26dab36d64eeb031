import { createClient, type Client } from 'graphql-sse';
import { subscribeWith, type SubscribingClient, type TestSubscription } from './ws-client';

export interface SseClientOptions {
  /** The user's token, read for every request (the reservation, the stream and each operation). */
  readonly token?: () => string | undefined | Promise<string | undefined>;
  readonly singleConnection: boolean;
  /** Where each request goes, e.g. a different process each time; plain `fetch` by default. */
  readonly fetchFn?: typeof fetch;
  readonly retryAttempts?: number;
}

export interface TestSseClient {
  readonly client: Client<boolean>;
  subscribe<Data = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): TestSubscription<Data>;
  /**
   * Resolves once the service has answered `count` operations of the single connection mode
   * with 202 in all: stopping an operation before the client has its 202 leaves the client no
   * way to stop it (graphql-sse's client then sends no DELETE).
   */
  whenAccepted(count: number): Promise<void>;
  dispose(): void;
}

const clients = new Set<TestSseClient>();
afterAll(() => {
  for (const client of clients) client.dispose();
});

/** graphql-sse's own client against `/graphql/stream`, in the mode asked for; no retries unless told. */
export function connectSseClient(url: string, options: SseClientOptions): TestSseClient {
  const send = options.fetchFn ?? fetch;
  let accepted = 0;
  const onAccepted = new Set<() => void>();
  const fetchFn: typeof fetch = async (input, init) => {
    const response = await send(input, init);
    if (init?.method === 'POST' && response.status === 202) {
      accepted += 1;
      for (const check of [...onAccepted]) check();
    }
    return response;
  };
  const client = createClient({
    url,
    singleConnection: options.singleConnection,
    retryAttempts: options.retryAttempts ?? 0,
    retry: async () => {},
    fetchFn,
    headers: async (): Promise<Record<string, string>> => {
      const token = await options.token?.();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
  });
  const testClient: TestSseClient = {
    client,
    subscribe: (query, variables) => subscribeWith(client as unknown as SubscribingClient, query, variables),
    whenAccepted: (count) =>
      new Promise((resolve) => {
        const check = () => {
          if (accepted < count) return;
          onAccepted.delete(check);
          resolve();
        };
        onAccepted.add(check);
        check();
      }),
    dispose() {
      clients.delete(testClient);
      client.dispose();
    },
  };
  clients.add(testClient);
  return testClient;
}
