import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';
import type { Caller } from '../../events/caller';
import type { StreamAnswer, StreamRequest } from '../../events/event-stream-relay';
import { tooManyOperations } from '../../graphql/errors';
import type { HeldStream, StreamHandOver } from '../../graphql/stream-hand-over';
import type { SubscriptionPipeline } from '../../graphql/subscriptions/pipeline';
import { EncodedResult, type OpenSubscription, type Subscriber } from '../../graphql/subscriptions/subscriber';
import { createTokenExpiries } from '../../graphql/subscriptions/token-expiries';
import type { Logger } from '../../observability/logger';
import type { SseStream, SseWriter } from '../sse-writer';
import { completeEvent, errorsJson, nextEvent } from './event-stream-events';
import type { Reservation } from './reservation-token';

export interface SingleConnectionStreamsOptions {
  /** How requests reach the process that holds their stream. */
  readonly handOver: StreamHandOver;
  readonly pipeline: SubscriptionPipeline;
  /** Opens the event streams: pings, and the slow-consumer bound of every SSE stream. */
  readonly writer: SseWriter;
  readonly maxOperationsPerStream: number;
  readonly logger: Logger;
}

interface OpenStream {
  readonly streamId: string;
  readonly reservationId: string;
  /** The reservation's holder, as the stream's request named them: its token's expiry ends the stream. */
  readonly caller: Caller;
  readonly stream: SseStream;
  /** Running operations by id; null while one starts. */
  readonly operations: Map<string, StreamOperation | null>;
  readonly held: HeldStream;
  ended: boolean;
}

const errorAnswer = (status: number, message: string): StreamAnswer => ({ status, body: errorsJson([new GraphQLError(message)]) });

export const STREAM_NOT_FOUND = errorAnswer(404, 'No event stream is open for this token: reserve one with PUT, then open it with GET.');

/** One operation of a stream, as the subscription pipeline's subscriber: its results go out as events carrying its id. */
class StreamOperation implements Subscriber {
  subscription: OpenSubscription | null = null;

  constructor(
    readonly owner: OpenStream,
    readonly id: string,
    readonly caller: Caller,
    readonly bearerToken: string | undefined,
    private readonly onEnd: (operation: StreamOperation) => void,
  ) {}

  send(result: EncodedResult): void {
    this.owner.stream.write(result.frame(this.id, nextEvent));
  }

  end(error?: unknown): void {
    if (error !== undefined) this.owner.stream.write(nextEvent(errorsJson([new GraphQLError('Unexpected error.')]), this.id));
    this.onEnd(this);
  }
}

/**
 * The event streams of GraphQL over SSE's single connection mode held by this process, and the
 * requests for them that reach any process. A stream is held (see `createStreamHandOver`) from
 * before its headers are sent (the client posts its operations only once they arrive), so an
 * operation posted to any process is handed to the one holding the stream and runs there,
 * through the subscription pipeline, where its results are written; that process's answer
 * (202, or why not) goes back to the asking one. A stream opened for a reservation closes any
 * older one.
 */
export function createSingleConnectionStreams(options: SingleConnectionStreamsOptions) {
  const { handOver, pipeline, writer, maxOperationsPerStream } = options;
  const log = options.logger.child({ component: 'graphql-sse' });
  const streams = new Map<string, OpenStream>();

  /**
   * A token that expires ends the whole stream, as a socket is closed with 4403: graphql-sse's
   * client then reserves anew with fresh headers and resubscribes, where a `complete` would
   * have ended the operation for good.
   */
  const tokenExpiries = createTokenExpiries<OpenStream | StreamOperation>((expired) => end('owner' in expired ? expired.owner : expired));

  function end(open: OpenStream): void {
    if (open.ended) return;
    open.ended = true;
    if (streams.get(open.reservationId) === open) streams.delete(open.reservationId);
    tokenExpiries.forget(open, open.caller);
    for (const operation of open.operations.values()) if (operation) forget(operation);
    open.operations.clear();
    void open.held.release().catch(() => {});
    open.stream.end();
  }

  /** Leaves the pipeline and forgets the operation; nothing more is written for it. */
  function forget(operation: StreamOperation): void {
    tokenExpiries.forget(operation, operation.caller);
    operation.subscription?.close();
    operation.subscription = null;
  }

  /** The pipeline ended an operation: its `complete`, unless it was stopped or its stream ended. */
  function completed(operation: StreamOperation): void {
    const { owner, id } = operation;
    if (owner.operations.get(id) !== operation) return;
    owner.operations.delete(id);
    tokenExpiries.forget(operation, operation.caller);
    owner.stream.write(completeEvent(id));
  }

  function refuseOverLimit(open: OpenStream, operationId: string): StreamAnswer {
    open.stream.write(nextEvent(errorsJson([tooManyOperations('stream', maxOperationsPerStream)]), operationId));
    open.stream.write(completeEvent(operationId));
    return { status: 202 };
  }

  async function start(open: OpenStream, request: Extract<StreamRequest, { kind: 'start' }>): Promise<StreamAnswer> {
    const { operationId, caller } = request;
    if (open.operations.has(operationId)) return errorAnswer(409, `An operation with id "${operationId}" is already running on this stream.`);
    if (open.operations.size >= maxOperationsPerStream) return refuseOverLimit(open, operationId);
    open.operations.set(operationId, null);
    const prepared = await pipeline.prepare(request.params, caller);
    if (!('open' in prepared)) {
      if (open.operations.get(operationId) === null) open.operations.delete(operationId);
      return { status: 400, body: errorsJson(prepared) };
    }
    const operation = new StreamOperation(open, operationId, caller, request.bearerToken, completed);
    const opened = await prepared.open(operation);
    if (open.operations.get(operationId) !== null) {
      // Stopped, or its stream ended, while it started.
      if ('close' in opened) opened.close();
      return { status: 204 };
    }
    if (!('close' in opened)) {
      open.operations.delete(operationId);
      open.stream.write(new EncodedResult(opened).frame(operationId, nextEvent));
      open.stream.write(completeEvent(operationId));
      return { status: 202 };
    }
    operation.subscription = opened;
    open.operations.set(operationId, operation);
    tokenExpiries.watch(operation, caller);
    return { status: 202 };
  }

  function stop(open: OpenStream, operationId: string): StreamAnswer {
    const operation = open.operations.get(operationId);
    open.operations.delete(operationId);
    if (operation) forget(operation);
    return { status: 200 };
  }

  const answerFor = (open: OpenStream, request: StreamRequest): Promise<StreamAnswer> | StreamAnswer =>
    request.kind === 'start' ? start(open, request) : stop(open, request.operationId);

  const answerSafely = async (open: OpenStream, request: StreamRequest): Promise<StreamAnswer> => {
    try {
      return await answerFor(open, request);
    } catch (error) {
      if (request.kind === 'start' && open.operations.get(request.operationId) === null) open.operations.delete(request.operationId);
      log.error({ err: error }, 'an operation on an event stream failed to start');
      return errorAnswer(500, 'Unexpected error.');
    }
  };

  return {
    /**
     * Opens the stream of `reservation` on `response` for `caller` (its holder): held (see
     * `createStreamHandOver`) before the headers go out, ended when the client goes, when the caller's token
     * expires, when it reads too slowly, or when a newer stream of the reservation opens.
     */
    async open(reservation: Reservation, caller: Caller, response: ServerResponse): Promise<void> {
      let open: OpenStream | null = null;
      let gone = false;
      // Until the stream opens: once it has, its connection is no longer the response's.
      response.once('close', () => (gone = true));
      if (response.destroyed) return;
      // Nothing asks for a stream before its headers are out: requests until then are not for it.
      const held = await handOver.hold(reservation.id, {
        onOpened: (streamId) => {
          if (open && streamId !== open.streamId) end(open);
        },
        answer: (request) => open && answerSafely(open, request),
      });
      if (gone) return void held.release().catch(() => {});
      const older = streams.get(reservation.id);
      if (older) end(older);
      const opened: OpenStream = {
        streamId: randomUUID(),
        reservationId: reservation.id,
        caller,
        stream: writer.open(response),
        operations: new Map(),
        held,
        ended: false,
      };
      open = opened;
      opened.stream.onClose(() => end(opened));
      streams.set(reservation.id, opened);
      tokenExpiries.watch(opened, caller);
      await held.announce(opened.streamId);
    },

    /** Runs `request` on the stream of the reservation, on whichever process holds it. */
    async ask(reservationId: string, request: StreamRequest): Promise<StreamAnswer> {
      const local = streams.get(reservationId);
      if (local) return answerSafely(local, request);
      return (await handOver.handOn(reservationId, request)) ?? STREAM_NOT_FOUND;
    },

    /** Ends every stream of this process (its operations stop); the clients reconnect elsewhere. */
    close(): void {
      for (const open of [...streams.values()]) end(open);
      tokenExpiries.clear();
    },
  };
}

export type SingleConnectionStreams = ReturnType<typeof createSingleConnectionStreams>;
