import type { ServerResponse } from 'node:http';
import type { ExecutionResult } from 'graphql';

/** The headers of every GraphQL-over-SSE stream; `X-Accel-Buffering: no` keeps nginx from holding events back. */
export const EVENT_STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
} as const;

/** A comment line: keeps proxies from timing the stream out, and flushes the headers at once. */
export const KEEP_ALIVE = ':\n\n';

/** `extensions.http` (and `unexpected`) steer Yoga's HTTP status; they are never sent, as Yoga never sends them. */
function withoutInternals(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.length) return result;
  return {
    ...result,
    errors: result.errors.map((error) => {
      const json = typeof error.toJSON === 'function' ? error.toJSON() : error;
      if (!json.extensions || !('http' in json.extensions || 'unexpected' in json.extensions)) return json as never;
      const { http: _http, unexpected: _unexpected, ...extensions } = json.extensions as Record<string, unknown>;
      return { ...json, extensions: Object.keys(extensions).length > 0 ? extensions : undefined } as never;
    }),
  };
}

/** A `next` event of the single connection mode: the result, addressed to its operation. */
export const nextEvent = (operationId: string, result: ExecutionResult) =>
  `event: next\ndata: ${JSON.stringify({ id: operationId, payload: withoutInternals(result) })}\n\n`;

/** The `complete` event of the single connection mode: the operation has no more results. */
export const completeEvent = (operationId: string) => `event: complete\ndata: ${JSON.stringify({ id: operationId })}\n\n`;

/** Starts an event stream on `response`. */
export function startEventStream(response: ServerResponse, headers: Record<string, string> = {}): void {
  response.writeHead(200, { ...EVENT_STREAM_HEADERS, ...headers });
  response.write(KEEP_ALIVE);
}
