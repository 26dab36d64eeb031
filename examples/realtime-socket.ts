import { createClient, type Client, type ClientOptions, type FormattedExecutionResult, type Sink, type SubscribePayload } from 'graphql-ws';

/** Close codes this service uses (see the README). */
export const CLOSE_FORBIDDEN = 4403; // a bad or expired token: get a new one, then reconnect
export const CLOSE_SERVICE_RESTART = 1012; // the server is restarting: reconnect, to it or another process

export interface RealtimeSocketOptions {
  /** `wss://realtime.example/graphql` */
  readonly url: string;
  /** The user's current token (null: anonymous). Asked before every connection. */
  readonly getToken: () => string | null | Promise<string | null>;
  /** The server refused the token (close 4403): answer a fresh one, e.g. from Laravel. */
  readonly refreshToken: () => string | null | Promise<string | null>;
  /** Backoff between reconnects: `retryBaseMs * 2^attempt`, capped at `retryMaxMs`, plus jitter. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** Reconnects in a row before giving up; the count restarts once a connection is accepted. */
  readonly retryAttempts?: number;
  /** Told every close, e.g. to show "reconnecting…". */
  readonly onClosed?: (code: number, reason: string) => void;
  /** Node has no global WebSocket before v22: pass `ws` there. Browsers need nothing. */
  readonly webSocketImpl?: ClientOptions['webSocketImpl'];
}

/** Closes that a reconnect can cure. Protocol errors (4400, 4401, 4409, 4500…) are not among them. */
function isWorthRetrying(closeOrError: unknown): boolean {
  const code = (closeOrError as { code?: unknown } | null)?.code;
  if (typeof code !== 'number') return true; // a network error, not a close: retry
  if (code === 1000) return false; // closed on purpose
  return code < 4000 || code === CLOSE_FORBIDDEN || code === 4408 || code === 4429 || code === 4499;
}

/**
 * A graphql-ws client for this service that does reconnecting right:
 * - 4403 (bad or expired token): the next connection asks `refreshToken` instead of `getToken`.
 * - 1012 (service restart), 1006 (connection lost) and other abnormal closes: reconnect with
 *   exponential backoff and jitter; graphql-ws then resubscribes every running operation.
 * - Resume: for a `notification` subscription it remembers the id of the last notification it
 *   delivered and, on every resubscribe, sends that id as `after`, so the server replays what
 *   was published while the socket was down, with no gap and no duplicate.
 * Apollo's `GraphQLWsLink` and urql's `subscriptionExchange` both take this client as it is.
 */
export function createRealtimeSocket(options: RealtimeSocketOptions): Client {
  const { retryBaseMs = 500, retryMaxMs = 30_000, retryAttempts = 20 } = options;
  let tokenRejected = false;

  const client = createClient({
    url: options.url,
    webSocketImpl: options.webSocketImpl,
    connectionParams: async () => {
      const token = tokenRejected ? await options.refreshToken() : await options.getToken();
      tokenRejected = false;
      return token ? { authorization: `Bearer ${token}` } : {};
    },
    retryAttempts,
    shouldRetry: isWorthRetrying,
    retryWait: (attempt) => {
      const wait = Math.min(retryBaseMs * 2 ** attempt, retryMaxMs);
      return new Promise((resolve) => setTimeout(resolve, wait / 2 + Math.random() * (wait / 2)));
    },
    on: {
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        if (code === CLOSE_FORBIDDEN) tokenRejected = true;
        options.onClosed?.(code, reason);
      },
    },
  });

  return {
    ...client,
    subscribe: <Data, Extensions>(payload: SubscribePayload, sink: Sink<FormattedExecutionResult<Data, Extensions>>) =>
      client.subscribe(resumable(payload, sink), trackLastNotification(sink)),
  };

  // graphql-ws sends the same payload object again on every resubscribe; its variables are
  // read when it is sent, so they carry the last id seen by then.
  function resumable(payload: SubscribePayload, sink: object): SubscribePayload {
    return {
      ...payload,
      get variables() {
        const lastId = lastIds.get(sink);
        return lastId === undefined ? payload.variables : { ...payload.variables, after: lastId };
      },
    };
  }
}

const lastIds = new WeakMap<object, string>();

function trackLastNotification<Result extends { data?: unknown }>(sink: Sink<Result>): Sink<Result> {
  return {
    next(result) {
      const id = (result.data as { notification?: { id?: unknown } } | null | undefined)?.notification?.id;
      if (typeof id === 'string') lastIds.set(sink, id);
      sink.next(result);
    },
    error: (error) => sink.error(error),
    complete: () => sink.complete(),
  };
}
