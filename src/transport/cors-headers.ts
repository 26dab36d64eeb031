import type { IncomingMessage } from 'node:http';

/**
 * What a browser on another origin needs to read an answer the service writes itself (event
 * streams, /graphql/stream), as Yoga's default CORS writes it on its own answers: the origin
 * reflected, with credentials. Preflights (OPTIONS) are Yoga's.
 */
export function corsHeaders(request: IncomingMessage | undefined): Record<string, string> {
  const origin = request?.headers.origin;
  return origin ? { 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' } : {};
}
