import { createClient, type Client } from 'graphql-sse';
import type { TokenRequest } from './realtime-client.js';

export interface RealtimeSseOptions {
  /** `https://realtime.mechamap.example/graphql/stream` (single connection, the default), or `…/graphql` with `singleConnection: false`. */
  readonly url: string;
  /** The user's token, sent as `Authorization` on every request (null: anonymous). */
  readonly getToken?: (request: TokenRequest) => string | null | Promise<string | null>;
  /**
   * One event stream for every operation (default): a browser speaking HTTP/1.1 to the service opens at
   * most 6 connections to it, and a forum page holds four subscriptions. False: one stream per operation.
   */
  readonly singleConnection?: boolean;
  /** Reconnects in a row before an operation fails. Default 5, graphql-sse's. */
  readonly retryAttempts?: number;
  /** Node without a global fetch, or a fetch of your own. */
  readonly fetchFn?: typeof fetch;
}

/**
 * Subscriptions over Server-Sent Events for browsers, with the token: a browser's EventSource
 * cannot send an `Authorization` header, so this reads the stream with fetch (graphql-sse's
 * client, which speaks the protocol and retries with backoff).
 */
export function createRealtimeSseClient({ url, getToken = () => null, singleConnection = true, retryAttempts, fetchFn }: RealtimeSseOptions): Client {
  return createClient({
    url,
    singleConnection,
    retryAttempts,
    fetchFn,
    headers: async (): Promise<Record<string, string>> => {
      const token = await getToken({ refresh: false });
      return token ? { authorization: `Bearer ${token}` } : {};
    },
  });
}
