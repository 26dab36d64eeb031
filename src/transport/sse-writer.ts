import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Caller } from '../events/caller';
import type { EncodedResult, Subscriber } from '../graphql/subscriptions/subscriber';
import { corsHeaders } from './cors-headers';
import { takeOverConnection } from './take-over-connection';

/**
 * The head of an event stream: Yoga's headers (no proxy may buffer or compress it), and its
 * end is the connection's (no length, no chunks: HTTP/1.0 and 1.1 clients alike read it to the end).
 */
const headOf = (cors: Record<string, string>) =>
  [
    'HTTP/1.1 200 OK',
    'Content-Type: text/event-stream',
    'Cache-Control: no-cache',
    'Content-Encoding: none',
    'Connection: close',
    `Date: ${new Date().toUTCString()}`,
    ...Object.entries(cors).map(([name, value]) => `${name}: ${value}`),
    '',
    '',
  ].join('\r\n');
/** A comment line: flushes the headers through browsers and proxies, and keeps idle streams open. */
const PING = ':\n\n';
/** Ends an operation's events (graphql-sse's "distinct connections" mode, as Yoga writes it). */
export const COMPLETE_EVENT = 'event: complete\ndata:\n\n';

/** The `next` event of a result, for `EncodedResult.frame` (one stream per operation: one key). */
export const nextEvent = (resultJson: string): Buffer => Buffer.from(`event: next\ndata: ${resultJson}\n\n`);

export interface SseWriterOptions {
  /** How often idle streams get a comment line. */
  readonly pingIntervalMs: number;
  /** A stream whose unsent bytes pass this is cut off (the client reads too slowly), as a WebSocket is. */
  readonly maxBufferedBytes: number;
  readonly onSlowConsumer: (bufferedBytes: number) => void;
}

/** One event stream: the connection of its request, taken over from the HTTP server (see `takeOverConnection`). */
export class SseStream {
  private ended = false;

  constructor(
    private readonly socket: Socket,
    private readonly writer: { readonly options: SseWriterOptions; readonly streams: Set<SseStream> },
  ) {}

  /** Writes `chunk`, then cuts the stream off if the client lets too much pile up. */
  write(chunk: Buffer | string): void {
    if (this.ended) return;
    this.socket.write(chunk);
    const buffered = this.socket.writableLength;
    if (buffered <= this.writer.options.maxBufferedBytes) return;
    this.writer.options.onSlowConsumer(buffered);
    this.cut();
  }

  /** Writes `last` (if any) and ends the stream and its connection. */
  end(last?: string): void {
    if (this.ended) return;
    this.leaveWriter();
    if (last === undefined) this.socket.end();
    else this.socket.end(last);
  }

  /** Closes the connection at once, whatever is still unsent. */
  cut(): void {
    this.leaveWriter();
    this.socket.destroy();
  }

  /** `onClose` runs once the client has gone or the stream was ended (at once if it had gone before the stream opened). */
  onClose(onClose: () => void): void {
    const closed = () => {
      this.leaveWriter();
      onClose();
    };
    if (this.socket.destroyed) queueMicrotask(closed);
    else this.socket.on('close', closed);
  }

  ping(): void {
    if (!this.ended && this.socket.writableLength === 0) this.socket.write(PING);
  }

  /** Nothing more is written, and the writer no longer pings or cuts it. */
  private leaveWriter(): void {
    this.ended = true;
    this.writer.streams.delete(this);
  }
}

/** A subscriber whose results go to one event stream (GraphQL over SSE, one operation per stream). */
export class SseSubscriber implements Subscriber {
  constructor(
    readonly stream: SseStream,
    readonly caller: Caller,
    readonly bearerToken: string | undefined,
  ) {}

  send(result: EncodedResult): void {
    this.stream.write(result.frame('', nextEvent));
  }

  /** Completes the stream; after an error the response is cut, as Yoga does, and the client sees the stream fail. */
  end(error?: unknown): void {
    this.stream.end(error === undefined ? COMPLETE_EVENT : undefined);
  }
}

/**
 * Opens event streams on HTTP responses and pings the idle ones, all with one timer. Transports
 * of GraphQL over SSE (the `/graphql` route, graphql-sse's modes) write their events through it.
 */
export function createSseWriter(options: SseWriterOptions) {
  const writer = { options, streams: new Set<SseStream>() };
  const timer = setInterval(() => {
    for (const stream of writer.streams) stream.ping();
  }, options.pingIntervalMs);
  timer.unref();

  return {
    /** Takes the connection of `response` (its request read whole), sends the event stream's head and first ping, and returns the stream. */
    open(response: ServerResponse): SseStream {
      const cors = corsHeaders(response.req);
      const socket = takeOverConnection(response);
      socket.write(headOf(cors) + PING);
      const stream = new SseStream(socket, writer);
      writer.streams.add(stream);
      return stream;
    },
    /** Stops the pings; open streams stay until `cutStreams`. */
    close(): void {
      clearInterval(timer);
    },
    /** Closes the connection of every open stream (the HTTP server does not know them: see `takeOverConnection`). */
    cutStreams(): void {
      for (const stream of writer.streams) stream.cut();
    },
  };
}

export type SseWriter = ReturnType<typeof createSseWriter>;
