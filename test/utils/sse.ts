import type { FormattedExecutionResult } from 'graphql-ws';
import type { TestSubscription } from './ws-client';

export interface ServerSentEvent {
  readonly event: string;
  readonly data: string;
}

/** Reads the events of an event stream one by one; `next` rejects once the stream has ended. */
export function readEvents(response: Response) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  return async function next(): Promise<ServerSentEvent> {
    for (;;) {
      const boundary = buffered.indexOf('\n\n');
      if (boundary >= 0) {
        const lines = buffered.slice(0, boundary).split('\n');
        buffered = buffered.slice(boundary + 2);
        const field = (name: string) =>
          lines
            .filter((line) => line.startsWith(`${name}:`))
            .map((line) => line.slice(name.length + 1).trim())
            .join('\n');
        if (lines.every((line) => line.startsWith(':'))) continue;
        return { event: field('event'), data: field('data') };
      }
      const chunk = await reader.read();
      if (chunk.done) throw new Error('the event stream ended');
      buffered += chunk.value;
    }
  };
}

/**
 * Subscribes over GraphQL-over-SSE the way a browser's fetch would, and yields each `next`
 * event's JSON payload.
 */
export async function subscribeOverSse(url: string, query: string, variables: Record<string, unknown>, token?: string) {
  const controller = new AbortController();
  const response = await fetch(url, {
    method: 'POST',
    signal: controller.signal,
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const nextEvent = readEvents(response);

  async function next(): Promise<Record<string, unknown>> {
    for (;;) {
      const { data } = await nextEvent();
      if (data !== '') return JSON.parse(data) as Record<string, unknown>;
    }
  }

  return { status: response.status, next, close: () => controller.abort() };
}

/**
 * A subscription over SSE with the same reading interface as a graphql-ws test client's (see
 * `TestSubscription`), so that one suite can run over both transports.
 */
export function subscribeSse<Data>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): TestSubscription<Data> {
  const opened = subscribeOverSse(url, query, variables, token);
  const next = async () => (await (await opened).next()) as FormattedExecutionResult<Data, unknown>;
  return {
    next,
    async failure() {
      const first = await next();
      // Errors raised while a subscription starts arrive as a result with `errors` and no data.
      if (first.errors?.length && first.data == null) return first.errors;
      throw new Error('the operation did not fail');
    },
    dispose: () => void opened.then((stream) => stream.close()),
  };
}
