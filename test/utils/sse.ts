import type { FormattedExecutionResult } from 'graphql-ws';
import type { TestSubscription } from './ws-client';

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
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';

  async function next(): Promise<Record<string, unknown>> {
    for (;;) {
      const boundary = buffered.indexOf('\n\n');
      if (boundary >= 0) {
        const block = buffered.slice(0, boundary);
        buffered = buffered.slice(boundary + 2);
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trim())
          .join('\n');
        if (data !== '') return JSON.parse(data) as Record<string, unknown>;
        continue;
      }
      const chunk = await reader.read();
      if (chunk.done) throw new Error('the event stream ended');
      buffered += chunk.value;
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
