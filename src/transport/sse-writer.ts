import type { ServerResponse } from 'node:http';
import type { Caller } from '../events/caller';
import type { EncodedResult, Subscriber } from '../graphql/subscriptions/subscriber';
import { corsHeaders } from './cors-headers';

/** The headers of an event stream, as Yoga sends them (no proxy may buffer or compress it). */
const SSE_HEADERS = {
  'Content-Type': 'text/event-stream',
  Connection: 'keep-alive',
  'Cache-Control': 'no-cache',
  'Content-Encoding': 'none',
};
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

/** One HTTP response held open as an event stream. */
export class SseStream {
  private ended = false;

  constructor(
    private readonly response: ServerResponse,
    private readonly writer: { readonly options: SseWriterOptions; readonly streams: Set<SseStream> },
  ) {}

  /** Writes `chunk`, then cuts the stream off if the client lets too much pile up. */
  write(chunk: Buffer | string): void {
    if (this.ended) return;
    this.response.write(chunk);
    const buffered = this.response.writableLength;
    if (buffered <= this.writer.options.maxBufferedBytes) return;
    this.writer.options.onSlowConsumer(buffered);
    this.ended = true;
    this.writer.streams.delete(this);
    this.response.destroy();
  }

  /** Writes `last` (if any) and ends the response. */
  end(last?: string): void {
    if (this.ended) return;
    this.ended = true;
    this.writer.streams.delete(this);
    this.response.end(last);
  }

  /** `onClose` runs once the client has gone or the stream was ended. */
  onClose(onClose: () => void): void {
    this.response.once('close', () => {
      this.ended = true;
      this.writer.streams.delete(this);
      onClose();
    });
  }

  ping(): void {
    if (!this.ended && this.response.writableLength === 0) this.response.write(PING);
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
    /** Sends the event stream's headers and first ping, and returns the stream. */
    open(response: ServerResponse): SseStream {
      response.writeHead(200, { ...SSE_HEADERS, ...corsHeaders(response.req) });
      response.write(PING);
      const stream = new SseStream(response, writer);
      writer.streams.add(stream);
      return stream;
    },
    /** Stops the pings; open streams end with their connections (the HTTP server's drain cuts them). */
    close(): void {
      clearInterval(timer);
    },
  };
}

export type SseWriter = ReturnType<typeof createSseWriter>;
