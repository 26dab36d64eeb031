import { Kind, parse, print, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { createClient, type ClientOptions } from 'graphql-ws';
import { backoffDelay } from './backoff.js';
import { defaultEnvironment, type Environment } from './environment.js';
import { Operation, type Connection, type Sink } from './operation.js';
import { expiryOf } from './token-expiry.js';

/** What the UI shows: `connecting` before the first connection, `reconnecting` after a loss, `offline` while the browser says so. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline';

export interface TokenRequest {
  /** True when the last token was refused (close 4403) or is about to expire: answer a new one, not one from a cache. */
  readonly refresh: boolean;
}

export interface RealtimeClientOptions {
  /** The service's WebSocket endpoint, e.g. `wss://realtime.mechamap.example/graphql`. */
  readonly url: string;
  /**
   * The user's token (a JWT), or null for anonymous. Asked before every connection; when it
   * throws (Laravel answered 401 or 5xx), the client tries again with backoff.
   */
  readonly getToken?: (request: TokenRequest) => string | null | Promise<string | null>;
  /** Backoff between attempts: a random wait up to `baseMs * 2^attempt`, capped at `maxMs`. Defaults 500 and 30,000. */
  readonly retry?: { readonly baseMs?: number; readonly maxMs?: number };
  /** How long before a token's `exp` to connect with a fresh one (at most half its remaining life). Default 60,000. */
  readonly refreshBeforeExpiryMs?: number;
  /** Node before v22 has no global WebSocket: pass `ws` there. Browsers need nothing. */
  readonly webSocketImpl?: ClientOptions['webSocketImpl'];
  /** Network and page visibility; the browser's by default. */
  readonly environment?: Environment;
}

export interface OperationRequest<Data, Variables> {
  readonly query: string | DocumentNode | TypedDocumentNode<Data, Variables>;
  readonly variables?: Variables;
  readonly operationName?: string;
}

export interface RealtimeClient {
  readonly state: ConnectionState;
  /** Calls `listener` on every change of `state`; returns the function that stops it. */
  onStateChange(listener: (state: ConnectionState) => void): () => void;
  /** Runs an operation (subscriptions, but queries and mutations too) until it ends or the returned function is called. */
  subscribe<Data = Record<string, unknown>, Variables = Record<string, unknown>>(request: OperationRequest<Data, Variables>, sink: Sink<Data>): () => void;
  /** A query or mutation over the socket: its data, or a rejection with its errors. */
  request<Data = Record<string, unknown>, Variables = Record<string, unknown>>(request: OperationRequest<Data, Variables>): Promise<Data>;
  /** Closes every connection and stops every operation. */
  dispose(): Promise<void>;
}

const CLOSE_TOKEN_REFUSED = 4403;

/** A connection with the timers that belong to it (renewal, retirement), cleared when it closes. */
interface LiveConnection extends Connection {
  readonly timers: Set<ReturnType<typeof setTimeout>>;
}

/**
 * A client of the service over graphql-ws that stays connected: it reconnects after any loss
 * (1012 restart, 1008 slow consumer, 1013 full, 1006 cut, 4403 with a fresh token) with backoff
 * and jitter and runs every operation again (notifications resume with `after`); it connects
 * with a fresh token before the current one expires and keeps the old connection until then, so
 * no live event is missed; it waits while the browser is offline.
 *
 * Each connection is a graphql-ws client that never retries by itself: the token is fetched
 * before it opens (so a failing `getToken` is retried here, never a graphql-ws 4005 that would
 * end every subscription), and a lost one is replaced by a new one.
 */
export function createRealtimeClient(options: RealtimeClientOptions): RealtimeClient {
  const { url, getToken = () => null, webSocketImpl, refreshBeforeExpiryMs = 60_000 } = options;
  const { baseMs = 500, maxMs = 30_000 } = options.retry ?? {};
  const environment = options.environment ?? defaultEnvironment();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- operations of every result type live in one set; each is typed where it is made
  const operations = new Set<Operation<any>>();
  const connections = new Set<LiveConnection>();
  const listeners = new Set<(state: ConnectionState) => void>();
  let state: ConnectionState = 'connecting';
  let current: LiveConnection | undefined;
  let generations = 0;
  let failures = 0;
  let tokenRefused = false;
  let disposed = false;
  /** Bumped whenever a pending attempt must be forgotten (offline, dispose). */
  let epoch = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const unwatch = [
    environment.on('offline', goOffline),
    environment.on('online', () => {
      if (state !== 'offline') return;
      failures = 0;
      void connect();
    }),
    environment.on('visible', () => {
      if (retryTimer === undefined) return;
      clearTimeout(retryTimer);
      retryTimer = undefined;
      void connect();
    }),
  ];
  if (environment.online) void connect();
  else setState('offline');

  function setState(next: ConnectionState): void {
    if (next === state) return;
    state = next;
    for (const listener of listeners) listener(next);
  }

  async function connect(): Promise<void> {
    const attempt = ++epoch;
    if (state !== 'connecting') setState('reconnecting');
    let token: string | null;
    try {
      token = await getToken({ refresh: tokenRefused });
    } catch {
      if (attempt === epoch) retryLater();
      return;
    }
    if (attempt !== epoch || disposed) return;
    tokenRefused = false;
    open(token);
  }

  function retryLater(): void {
    if (disposed || state === 'offline') return;
    setState(state === 'connecting' ? 'connecting' : 'reconnecting');
    retryTimer = setTimeout(
      () => {
        retryTimer = undefined;
        void connect();
      },
      backoffDelay(failures++, baseMs, maxMs),
    );
  }

  function open(token: string | null): void {
    const connection: LiveConnection = {
      generation: ++generations,
      timers: new Set<ReturnType<typeof setTimeout>>(),
      ws: createClient({
        url,
        webSocketImpl,
        lazy: false,
        retryAttempts: 0,
        connectionParams: token ? { authorization: `Bearer ${token}` } : {},
        // With no retries, graphql-ws ends here when the socket closes: replace the connection.
        onNonLazyError: (closeOrError) => lost(connection, closeOrError),
        on: { connected: () => connected(connection, token) },
      }),
    };
    connections.add(connection);
    current = connection;
    for (const operation of operations) operation.run(connection);
  }

  function connected(connection: LiveConnection, token: string | null): void {
    if (connection !== current) return;
    failures = 0;
    setState('connected');
    const expiry = token === null ? undefined : expiryOf(token);
    if (expiry === undefined) return;
    const remaining = expiry - Date.now();
    later(connection, () => void renew(connection, expiry), Math.max(0, remaining - Math.min(refreshBeforeExpiryMs, remaining / 2)));
  }

  function later(connection: LiveConnection, task: () => void, delayMs: number): void {
    const timer = setTimeout(() => (connection.timers.delete(timer), task()), delayMs);
    connection.timers.add(timer);
  }

  /** Opens a connection with a fresh token beside one whose token expires soon; the old one serves until its expiry. */
  async function renew(old: LiveConnection, expiry: number): Promise<void> {
    let token: string | null;
    try {
      token = await getToken({ refresh: true });
    } catch {
      if (old === current) later(old, () => void renew(old, expiry), backoffDelay(failures++, baseMs, maxMs));
      return;
    }
    if (old !== current || disposed) return;
    later(old, () => close(old), Math.max(0, expiry - Date.now()));
    open(token);
  }

  function lost(connection: LiveConnection, closeOrError: unknown): void {
    close(connection);
    if (connection !== current || disposed) return;
    current = undefined;
    if ((closeOrError as { code?: unknown } | null)?.code === CLOSE_TOKEN_REFUSED) tokenRefused = true;
    retryLater();
  }

  function close(connection: LiveConnection): void {
    if (!connections.delete(connection)) return;
    for (const timer of connection.timers) clearTimeout(timer);
    for (const operation of operations) operation.leave(connection);
    void connection.ws.dispose();
  }

  function goOffline(): void {
    epoch++;
    clearTimeout(retryTimer);
    retryTimer = undefined;
    current = undefined;
    for (const connection of [...connections]) close(connection);
    setState('offline');
  }

  function subscribe<Data, Variables>(request: OperationRequest<Data, Variables>, sink: Sink<Data>): () => void {
    const document = typeof request.query === 'string' ? parse(request.query) : request.query;
    const operation = new Operation<Data>(
      typeof request.query === 'string' ? request.query : print(request.query),
      request.variables as Record<string, unknown> | undefined,
      request.operationName,
      sink,
      rootFieldOf(document),
      (ended) => operations.delete(ended),
    );
    operations.add(operation);
    if (current) operation.run(current);
    return () => operation.stop();
  }

  return {
    get state() {
      return state;
    },
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    subscribe,
    request<Data, Variables>(request: OperationRequest<Data, Variables>): Promise<Data> {
      return new Promise((resolve, reject) => {
        const stop = subscribe<Data, Variables>(request, {
          next: ({ data, errors }) => {
            stop();
            if (errors?.length || !data) reject(new Error(errors?.map((e) => e.message).join('; ') ?? 'no data'));
            else resolve(data);
          },
          error: (error) => reject(toError(error)),
          complete: () => reject(new Error('completed without a result')),
        });
      });
    },
    async dispose() {
      disposed = true;
      epoch++;
      clearTimeout(retryTimer);
      for (const stop of unwatch) stop();
      for (const operation of [...operations]) operation.stop();
      for (const connection of [...connections]) close(connection);
      listeners.clear();
    },
  };
}

/** The name of the first field an operation selects (`notification`, `typing`…), to know how to resume and de-duplicate it. */
function rootFieldOf(document: DocumentNode): string | undefined {
  const definition = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const field = definition?.selectionSet.selections[0];
  return field?.kind === Kind.FIELD ? field.name.value : undefined;
}

/** What graphql-ws hands an error sink (an Error, a CloseEvent or GraphQL errors) as an Error. */
function toError(error: unknown): Error {
  if (error instanceof Error) return error;
  if (Array.isArray(error)) return new Error(error.map((item: { message?: unknown }) => String(item.message)).join('; '));
  const { code, reason } = (error ?? {}) as { code?: unknown; reason?: unknown };
  if (typeof code !== 'number') return new Error('the connection failed');
  return new Error(typeof reason === 'string' && reason !== '' ? `closed with ${code}: ${reason}` : `closed with ${code}`);
}
