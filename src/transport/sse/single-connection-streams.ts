import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { isAsyncIterable } from 'graphql-yoga';
import type { Caller } from '../../auth/caller';
import type { EventStreamMessage, GraphQLParams, StreamAnswer, StreamRequest } from '../../events/event-stream-relay';
import { eventStreamRepliesTopic, eventStreamTopic } from '../../events/topics';
import type { Logger } from '../../observability/logger';
import type { EventBus, Unsubscribe } from '../../pubsub/event-bus';
import { createDeadlines } from '../../lib/deadlines';
import { completeEvent, KEEP_ALIVE, nextEvent, startEventStream } from './event-stream-writer';
import type { Reservation } from './reservation-token';

/** What running an operation gave: an answer that refuses it (a document that does not validate), or its results. */
export type OperationOutcome =
  | { readonly kind: 'refused'; readonly answer: StreamAnswer }
  | { readonly kind: 'results'; readonly results: AsyncIterable<ExecutionResult> | ExecutionResult };

export type RunOperation = (caller: Exclude<Caller, { kind: 'invalid' }>, params: GraphQLParams) => Promise<OperationOutcome>;

export interface SingleConnectionStreamsOptions {
  readonly bus: EventBus;
  readonly runOperation: RunOperation;
  readonly maxOperationsPerStream: number;
  /** A stream whose unsent output passes this is cut (slow consumer), as a socket is. */
  readonly maxBufferedBytes: number;
  readonly keepAliveIntervalMs: number;
  readonly logger: Logger;
  /** False with the in-memory bus: no other process can hold a stream, so nothing is handed on. */
  readonly acrossProcesses: boolean;
  /** How long a request handed to another process waits for its answer before the stream counts as gone. */
  readonly replyTimeoutMs?: number;
}

interface OpenStream {
  readonly streamId: string;
  readonly reservationId: string;
  readonly response: ServerResponse;
  /** Running operations by id, each with its stop; null while it starts. */
  readonly operations: Map<string, (() => void) | null>;
  readonly expiresAtMs: number | undefined;
  unsubscribe: Unsubscribe | null;
  ended: boolean;
}

/** A token's expiry (whole seconds in a JWT) and the timer that ends its subscription may be this far apart. */
const EXPIRY_TOLERANCE_MS = 1000;

const json = (status: number, body: unknown): StreamAnswer => ({ status, body: JSON.stringify(body) });
const errorAnswer = (status: number, message: string, code?: string): StreamAnswer =>
  json(status, { errors: [{ message, ...(code ? { extensions: { code } } : {}) }] });

export const STREAM_NOT_FOUND = errorAnswer(404, 'No event stream is open for this token: reserve one with PUT, then open it with GET.');

/**
 * The event streams of GraphQL over SSE's single connection mode held by this process, and the
 * requests for them that reach any process. A stream listens on its reservation's bus topic
 * from before its headers are sent (the client posts its operations only once they arrive), so
 * an operation posted to any process is handed to the one holding the stream and runs there,
 * where its results are written; that process's answer (202, or why not) goes back on the
 * asking process's reply topic. A stream opened for a reservation closes any older one.
 */
export function createSingleConnectionStreams(options: SingleConnectionStreamsOptions) {
  const { bus, runOperation, maxOperationsPerStream, maxBufferedBytes, replyTimeoutMs = 3000 } = options;
  const log = options.logger.child({ component: 'graphql-sse' });
  const processId = randomUUID();
  const streams = new Map<string, OpenStream>();
  const waitingForReply = new Map<string, (answer: StreamAnswer) => void>();
  let repliesSubscribed: Promise<Unsubscribe> | null = null;

  const tokenExpiries = createDeadlines<OpenStream>((stream) => end(stream));
  const keepAlive = setInterval(() => {
    for (const stream of streams.values()) write(stream, KEEP_ALIVE);
  }, options.keepAliveIntervalMs);
  keepAlive.unref();

  function end(stream: OpenStream): void {
    if (stream.ended) return;
    stream.ended = true;
    if (streams.get(stream.reservationId) === stream) streams.delete(stream.reservationId);
    if (stream.expiresAtMs !== undefined) tokenExpiries.delete(stream, stream.expiresAtMs);
    for (const stop of stream.operations.values()) stop?.();
    stream.operations.clear();
    void stream.unsubscribe?.().catch(() => {});
    stream.response.end();
  }

  function write(stream: OpenStream, text: string): void {
    if (stream.ended) return;
    stream.response.write(text);
    if (stream.response.writableLength > maxBufferedBytes) {
      log.info({ buffered: stream.response.writableLength }, 'cut a slow event stream');
      stream.response.destroy();
      end(stream);
    }
  }

  /**
   * Writes every result of an operation, then `complete` unless it was stopped. A subscription
   * that ends because its token expired ends the stream instead, as a socket is closed with
   * 4403: graphql-sse's client then reserves anew with fresh headers and resubscribes, where a
   * `complete` would have ended the operation for good.
   */
  async function pump(
    stream: OpenStream,
    operationId: string,
    caller: Exclude<Caller, { kind: 'invalid' }>,
    results: AsyncIterable<ExecutionResult> | ExecutionResult,
  ) {
    if (!isAsyncIterable(results)) {
      write(stream, nextEvent(operationId, results));
    } else {
      const iterator = results[Symbol.asyncIterator]();
      let stopped = false;
      stream.operations.set(operationId, () => {
        stopped = true;
        void iterator.return?.();
      });
      try {
        for (;;) {
          const step = await iterator.next();
          if (step.done || stopped) break;
          write(stream, nextEvent(operationId, step.value));
        }
      } catch (error) {
        log.error({ err: error }, 'an operation on an event stream failed');
        write(stream, nextEvent(operationId, { errors: [new GraphQLError('Unexpected error.')] }));
      }
      if (stopped || stream.operations.get(operationId) === undefined) return;
      if (caller.kind === 'user' && Date.now() >= caller.user.expiresAtMs - EXPIRY_TOLERANCE_MS) return end(stream);
    }
    stream.operations.delete(operationId);
    write(stream, completeEvent(operationId));
  }

  async function start(stream: OpenStream, request: Extract<StreamRequest, { kind: 'start' }>): Promise<StreamAnswer> {
    const { operationId } = request;
    if (stream.operations.has(operationId)) return errorAnswer(409, `An operation with id "${operationId}" is already running on this stream.`);
    if (stream.operations.size >= maxOperationsPerStream) {
      const message = `A stream may run at most ${maxOperationsPerStream} operations at once.`;
      write(stream, nextEvent(operationId, { errors: [new GraphQLError(message, { extensions: { code: 'TOO_MANY_OPERATIONS' } })] }));
      write(stream, completeEvent(operationId));
      return { status: 202 };
    }
    stream.operations.set(operationId, null);
    let outcome: OperationOutcome;
    try {
      outcome = await runOperation(request.caller, request.params);
    } catch (error) {
      stream.operations.delete(operationId);
      log.error({ err: error }, 'starting an operation on an event stream failed');
      return errorAnswer(500, 'Unexpected error.');
    }
    if (outcome.kind === 'refused') {
      stream.operations.delete(operationId);
      return outcome.answer;
    }
    if (stream.ended || !stream.operations.has(operationId)) {
      // Stopped (or the stream went away) while it started.
      if (isAsyncIterable(outcome.results)) void outcome.results[Symbol.asyncIterator]().return?.();
      return { status: 204 };
    }
    void pump(stream, operationId, request.caller, outcome.results);
    return { status: 202 };
  }

  function stop(stream: OpenStream, operationId: string): StreamAnswer {
    const running = stream.operations.get(operationId);
    stream.operations.delete(operationId);
    running?.();
    return { status: 200 };
  }

  const answerFor = (stream: OpenStream, request: StreamRequest): Promise<StreamAnswer> | StreamAnswer =>
    request.kind === 'start' ? start(stream, request) : stop(stream, request.operationId);

  function onMessage(stream: OpenStream, message: EventStreamMessage): void {
    if (message.kind === 'opened') {
      if (message.streamId !== stream.streamId) end(stream);
      return;
    }
    void Promise.resolve(answerFor(stream, message.request)).then((answer) =>
      bus.publish(eventStreamRepliesTopic(message.replyTo), { requestId: message.requestId, answer }).catch((error: Error) => {
        log.warn({ err: error.message }, 'could not answer a stream request handed on by another process');
      }),
    );
  }

  const subscribeToReplies = () =>
    (repliesSubscribed ??= bus.subscribe(eventStreamRepliesTopic(processId), ({ requestId, answer }) => {
      waitingForReply.get(requestId)?.(answer);
    }));

  /** Hands a request to the process that holds the stream; a 404 when none answers in time. */
  async function handOn(reservationId: string, request: StreamRequest): Promise<StreamAnswer> {
    await subscribeToReplies();
    const requestId = randomUUID();
    const answered = new Promise<StreamAnswer>((resolve) => {
      const timer = setTimeout(() => resolve(STREAM_NOT_FOUND), replyTimeoutMs);
      waitingForReply.set(requestId, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
    });
    try {
      await bus.publish(eventStreamTopic(reservationId), { kind: 'request', requestId, replyTo: processId, request });
      return await answered;
    } finally {
      waitingForReply.delete(requestId);
    }
  }

  return {
    /**
     * Opens the stream of `reservation` on `response` for `caller` (its holder): live on the
     * bus before the headers go out, ended when the client goes, when the caller's token
     * expires, when it reads too slowly, or when a newer stream of the reservation opens.
     */
    async open(
      reservation: Reservation,
      caller: Exclude<Caller, { kind: 'invalid' }>,
      response: ServerResponse,
      headers: Record<string, string>,
    ): Promise<void> {
      const stream: OpenStream = {
        streamId: randomUUID(),
        reservationId: reservation.id,
        response,
        operations: new Map(),
        expiresAtMs: caller.kind === 'user' ? caller.user.expiresAtMs : undefined,
        unsubscribe: null,
        ended: false,
      };
      response.once('close', () => end(stream));
      if (response.destroyed) return end(stream);
      const topic = eventStreamTopic(reservation.id);
      const unsubscribe = await bus.subscribe(topic, (message) => onMessage(stream, message));
      stream.unsubscribe = unsubscribe;
      if (stream.ended) return void unsubscribe().catch(() => {});
      const older = streams.get(reservation.id);
      if (older) end(older);
      streams.set(reservation.id, stream);
      await bus.publish(topic, { kind: 'opened', streamId: stream.streamId });
      startEventStream(response, headers);
      if (stream.expiresAtMs !== undefined) tokenExpiries.add(stream, stream.expiresAtMs);
    },

    /** Runs `request` on the stream of the reservation, on whichever process holds it. */
    ask(reservationId: string, request: StreamRequest): Promise<StreamAnswer> | StreamAnswer {
      const local = streams.get(reservationId);
      if (local) return answerFor(local, request);
      return options.acrossProcesses ? handOn(reservationId, request) : STREAM_NOT_FOUND;
    },

    /** Ends every stream of this process (its operations stop); the clients reconnect elsewhere. */
    async close(): Promise<void> {
      clearInterval(keepAlive);
      for (const stream of [...streams.values()]) end(stream);
      tokenExpiries.clear();
      const unsubscribe = await repliesSubscribed?.catch(() => null);
      await unsubscribe?.();
    },
  };
}

export type SingleConnectionStreams = ReturnType<typeof createSingleConnectionStreams>;
