import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** graphql-yoga's own default: 25 MB. */
export const MAX_REQUEST_BODY_BYTES = 25_000_000;

const CONTENT_LENGTH = /^\d+$/;

const tooLarge = () => new GraphQLError('Request body too large', { extensions: { http: { status: 413 }, code: 'REQUEST_ENTITY_TOO_LARGE' } });

/**
 * Yoga's request body limit, without its cost on every request. Yoga (5.24) pipes every body
 * through a counting TransformStream, even when `Content-Length` already says how long it is;
 * that pipe and its teardown (an AbortSignal and a DOMException per request) were ~13 % of
 * the service's CPU per `publishNotification`. Node's HTTP parser reads exactly
 * `Content-Length` bytes of body, so a valid header under the limit is enough; only a body
 * without one (chunked) is counted as it streams, as Yoga does. Same errors as Yoga's (413,
 * 400). Yoga's own is turned off with `maxRequestBodySize: false`; this one must come after
 * every request parser.
 */
export function useRequestBodyLimit(limit = MAX_REQUEST_BODY_BYTES): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const contentLength = request.headers.get('content-length');
      if (contentLength != null) {
        if (!CONTENT_LENGTH.test(contentLength)) {
          throw new GraphQLError('Content-Length header is invalid.', { extensions: { http: { status: 400 }, code: 'BAD_REQUEST' } });
        }
        if (Number(contentLength) > limit) throw tooLarge();
        return;
      }
      if (requestParser == null || request.body == null) return;
      const parse = requestParser;
      setRequestParser((unlimited) => {
        const body = unlimited.body;
        if (!body) return parse(unlimited);
        const Transform = body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
        let bytesRead = 0;
        const counted = body.pipeThrough(
          new Transform<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              bytesRead += chunk.byteLength;
              if (bytesRead > limit) controller.error(tooLarge());
              else controller.enqueue(chunk);
            },
          }),
        );
        return parse(
          new fetchAPI.Request(unlimited.url, {
            method: unlimited.method,
            headers: unlimited.headers,
            signal: unlimited.signal,
            body: counted,
            duplex: 'half',
          } as RequestInit),
        );
      });
    },
  };
}
