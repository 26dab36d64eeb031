import type { ExecutionResult } from 'graphql';
import type { Caller } from '../../events/caller';

/** An operation as every transport receives it. */
export interface OperationRequest {
  readonly query: string;
  readonly variables?: Record<string, unknown> | null;
  readonly operationName?: string | null;
}

/** Frames a result's JSON for one protocol and key (a graphql-ws `next` frame of an operation id, an SSE event). */
export type FrameBuilder = (json: string, key: string) => Buffer;

/**
 * One result of a subscription, serialized once for every subscriber that receives it. A
 * transport frames it for its own protocol with `frame(key, build)`: the frame is built once
 * per builder and key (the WebSocket adapter keys by operation id, which clients share — "1" —
 * so ten thousand sockets get one Buffer; the SSE writer has one key). Most results are framed
 * one way only (a user's notification, a broadcast's common id): that frame is kept without a
 * Map.
 */
export class EncodedResult {
  /** The result's JSON, as GraphQL over HTTP, SSE and WebSocket all carry it. */
  readonly json: string;
  private firstBuild: FrameBuilder | null = null;
  private firstKey = '';
  private firstFrame: Buffer | null = null;
  /** The frames after the first, by builder: two transports may use the same key. */
  private moreFrames: Map<FrameBuilder, Map<string, Buffer>> | null = null;

  constructor(result: ExecutionResult) {
    if (result.errors === undefined) {
      this.json = JSON.stringify(result);
    } else {
      // `errors` after `data`, as the answers of every transport have always written them.
      const { errors, ...rest } = result;
      this.json = JSON.stringify({ ...rest, errors: errors.map((error) => error.toJSON()) });
    }
  }

  frame(key: string, build: FrameBuilder): Buffer {
    if (this.firstBuild === build && this.firstKey === key) return this.firstFrame!;
    if (this.firstBuild === null) {
      this.firstBuild = build;
      this.firstKey = key;
      return (this.firstFrame = build(this.json, key));
    }
    this.moreFrames ??= new Map();
    let byKey = this.moreFrames.get(build);
    if (!byKey) this.moreFrames.set(build, (byKey = new Map<string, Buffer>()));
    let frame = byKey.get(key);
    if (!frame) byKey.set(key, (frame = build(this.json, key)));
    return frame;
  }
}

/**
 * What a transport hands the pipeline for one subscription: who asked, and where its results
 * go. Transports implement it with one small object per operation (a class with shared
 * methods): a process holds tens of thousands of them.
 */
export interface Subscriber {
  readonly caller: Caller;
  /**
   * The caller's own bearer token, for hooks that must ask Laravel as the user; undefined
   * unless the transport was configured to keep it (see `keepBearerToken`).
   */
  readonly bearerToken: string | undefined;
  /** Delivers one result; the transport applies its own bounds (a slow reader is cut off). */
  send(result: EncodedResult): void;
  /** The subscription ended: normally without `error`, else with the error that ended it. */
  end(error?: unknown): void;
}

/** A subscriber's place in the pipeline, returned by `open`: `close()` leaves (the client completed, the connection closed). */
export interface OpenSubscription {
  close(): void;
}
