import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';

export interface ClosedSocket {
  readonly code: number;
  readonly reason: string;
}

export interface TestClient {
  readonly client: Client;
  /** Resolves with the close code and reason when the server closes the socket. */
  readonly closed: Promise<ClosedSocket>;
  subscribe<Data = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): TestSubscription<Data>;
  dispose(): Promise<void>;
}

export interface TestSubscription<Data> {
  /** The next result the server sends; rejects if the operation fails or ends first. */
  next(): Promise<FormattedExecutionResult<Data, unknown>>;
  /** Rejects unless the operation fails; resolves with what it failed with. */
  failure(): Promise<unknown>;
  dispose(): void;
}

const clients = new Set<TestClient>();
afterAll(async () => {
  await Promise.all([...clients].map((testClient) => testClient.dispose()));
});

/** A graphql-ws client that connects at once and never retries, so every close is seen. */
export function connectClient(wsUrl: string, authorization?: string): TestClient {
  let onClosed: (closed: ClosedSocket) => void = () => {};
  const closed = new Promise<ClosedSocket>((resolve) => (onClosed = resolve));
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: authorization ? { authorization } : undefined,
    onNonLazyError: () => {},
    on: { closed: (event) => onClosed({ code: (event as CloseEvent).code, reason: (event as CloseEvent).reason }) },
  });
  const testClient: TestClient = {
    client,
    closed,
    subscribe: (query, variables) => subscribeWith(client, query, variables),
    async dispose() {
      clients.delete(testClient);
      await client.dispose();
    },
  };
  clients.add(testClient);
  return testClient;
}

/** What subscribing asks of a client: graphql-ws' and graphql-sse's clients alike. */
export type SubscribingClient = Pick<Client, 'subscribe'>;

/** An operation of `client` whose results are awaited one by one (graphql-sse's client too, through `SubscribingClient`). */
export function subscribeWith<Data>(client: SubscribingClient, query: string, variables?: Record<string, unknown>): TestSubscription<Data> {
  const received: Array<FormattedExecutionResult<Data, unknown>> = [];
  const waiting: Array<{ resolve: (value: FormattedExecutionResult<Data, unknown>) => void; reject: (error: unknown) => void }> = [];
  let ended: { error: unknown } | undefined;
  let onFailure: (error: unknown) => void = () => {};
  let onCompleteWithoutFailure: () => void = () => {};
  const failed = new Promise<unknown>((resolve, reject) => {
    onFailure = resolve;
    onCompleteWithoutFailure = () => reject(new Error('the operation completed without failing'));
  });
  failed.catch(() => {});

  const end = (error: unknown) => {
    ended = { error };
    for (const waiter of waiting.splice(0)) waiter.reject(error);
  };

  const dispose = client.subscribe<Data>(
    { query, variables },
    {
      next: (value) => {
        // Errors raised while a subscription starts arrive as a result with `errors`.
        if (value.errors?.length && value.data == null) onFailure(value.errors);
        const waiter = waiting.shift();
        if (waiter) waiter.resolve(value);
        else received.push(value);
      },
      error: (error) => {
        onFailure(error);
        end(error);
      },
      complete: () => {
        onCompleteWithoutFailure();
        end(new Error('the operation completed'));
      },
    },
  );

  return {
    next() {
      const value = received.shift();
      if (value) return Promise.resolve(value);
      if (ended) return Promise.reject(ended.error);
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    failure: () => failed,
    dispose,
  };
}

/** The `extensions.code` of the GraphQL errors an operation failed with. */
export function failureCodes(failure: unknown): Array<string | undefined> {
  const errors = Array.isArray(failure) ? failure : [failure];
  return errors.map((error: { extensions?: { code?: string } }) => error?.extensions?.code);
}
