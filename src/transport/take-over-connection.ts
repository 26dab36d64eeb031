import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { Socket } from 'node:net';

/** Node's `_http_common`, loadable but untyped: its server frees a parser with this on an upgrade (back to the pool, or closed). */
const { freeParser } = createRequire(__filename)('node:_http_common') as {
  freeParser(parser: unknown, request: unknown, socket: unknown): void;
};

/** The events Node's HTTP server listens to on a connection's socket. */
const SERVER_EVENTS = ['data', 'end', 'close', 'drain', 'error', 'timeout', 'resume', 'pause'] as const;
/** A socket as `net` makes it: the listeners it has from birth (its own 'end') are not the HTTP server's. */
const newborn = new Socket();

/** The part of Node's HTTP parser a takeover touches (`_http_server.js`, its upgrade path). */
interface ConnectionParser {
  _consumed?: boolean;
  unconsume(): void;
  finish(): unknown;
}

/**
 * Takes the connection of `response` away from Node's HTTP server once its request has been read
 * whole, as the server itself does when a request upgrades (a WebSocket): the server stops
 * listening to the socket, its HTTP parser goes back to the pool, and the request and response
 * objects are left to the collector. What remains is the socket, on which the caller writes a
 * response of its own. An event stream held open as a `ServerResponse` costs about twice the
 * memory of the same socket taken over (2,000 held by a bare `node:http` server: 18 against
 * 9 KiB of RSS each): the parser with its header slots, both messages and the server's
 * listeners stay for the stream's whole life.
 *
 * Whatever the client sends after the request is read and dropped; when it ends its side, the
 * connection ends, as the HTTP server ends it then. The HTTP server no longer knows the
 * connection (`closeAllConnections` does not cut it), so its new owner ends it.
 */
export function takeOverConnection(response: ServerResponse): Socket {
  const socket = response.socket;
  if (!socket) throw new Error('the response has no connection to take over');
  response.detachSocket(socket);
  for (const event of SERVER_EVENTS) {
    const own = newborn.listeners(event);
    const listeners = socket.listeners(event) as Array<(...args: unknown[]) => void>;
    for (const listener of listeners) if (!own.includes(listener)) socket.removeListener(event, listener);
  }
  const { parser } = socket as { parser?: ConnectionParser | null };
  if (parser) {
    if (parser._consumed) parser.unconsume();
    parser._consumed = false;
    parser.finish();
    freeParser(parser, response.req, socket);
  }
  socket.allowHalfOpen = false;
  socket.on('error', () => socket.destroy());
  socket.resume();
  return socket;
}
