import { randomUUID } from 'node:crypto';
import type { StreamAnswer, StreamRequest } from '../events/event-stream-relay';
import { eventStreamRepliesTopic, eventStreamTopic } from '../events/topics';
import type { Logger } from '../observability/logger';
import type { EventBus, Unsubscribe } from '../pubsub/event-bus';

/** What the process holding a reservation's stream hears about it. */
export interface StreamHolder {
  /** A stream was opened for the reservation, on this process or another. */
  onOpened(streamId: string): void;
  /** Answers a request for the stream; null leaves it unanswered (the asker times out). */
  answer(request: StreamRequest): Promise<StreamAnswer> | StreamAnswer | null;
}

export interface HeldStream {
  /** Tells every holder of the reservation, on any process, that `streamId` opened. */
  announce(streamId: string): Promise<void>;
  release(): Promise<void>;
}

export interface StreamHandOverOptions {
  readonly bus: EventBus;
  /** False with the in-memory bus: no other process can hold a stream, so nothing is handed on. */
  readonly acrossProcesses: boolean;
  readonly logger: Logger;
  /** How long a request handed to another process waits for its answer before the stream counts as gone. */
  readonly replyTimeoutMs?: number;
}

/**
 * GraphQL over SSE's single connection mode across processes: the reservation, the stream and
 * its operations may reach different processes, so the process that holds a stream listens on
 * the reservation's topic, and a request reaching any other process is handed on to it and
 * answered on the asker's own reply topic. The transport sees streams and answers, never the bus.
 */
export function createStreamHandOver(options: StreamHandOverOptions) {
  const { bus, replyTimeoutMs = 3000 } = options;
  const log = options.logger.child({ component: 'graphql-sse' });
  const processId = randomUUID();
  const waitingForReply = new Map<string, (answer: StreamAnswer) => void>();
  let repliesSubscribed: Promise<Unsubscribe> | null = null;

  const subscribeToReplies = () =>
    (repliesSubscribed ??= bus.subscribe(eventStreamRepliesTopic(processId), ({ requestId, answer }) => {
      waitingForReply.get(requestId)?.(answer);
    }));

  const reply = (replyTo: string, requestId: string, answer: StreamAnswer) =>
    bus.publish(eventStreamRepliesTopic(replyTo), { requestId, answer }).catch((error: Error) => {
      log.warn({ err: error.message }, 'could not answer a stream request handed on by another process');
    });

  async function handOn(reservationId: string, request: StreamRequest): Promise<StreamAnswer | null> {
    await subscribeToReplies();
    const requestId = randomUUID();
    const answered = new Promise<StreamAnswer | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), replyTimeoutMs);
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
    /** Listens for the reservation's requests and openings; live (on Redis too) once it resolves. */
    async hold(reservationId: string, holder: StreamHolder): Promise<HeldStream> {
      const topic = eventStreamTopic(reservationId);
      const unsubscribe = await bus.subscribe(topic, (message) => {
        if (message.kind === 'opened') return holder.onOpened(message.streamId);
        const answer = holder.answer(message.request);
        if (answer !== null) void Promise.resolve(answer).then((answer) => reply(message.replyTo, message.requestId, answer));
      });
      return { announce: (streamId) => bus.publish(topic, { kind: 'opened', streamId }), release: unsubscribe };
    },

    /** Hands `request` to the process that holds the reservation's stream: its answer, or null when none answers in time. */
    handOn: (reservationId: string, request: StreamRequest): Promise<StreamAnswer | null> | null =>
      options.acrossProcesses ? handOn(reservationId, request) : null,

    async close(): Promise<void> {
      const unsubscribe = await repliesSubscribed?.catch(() => null);
      await unsubscribe?.();
    },
  };
}

export type StreamHandOver = ReturnType<typeof createStreamHandOver>;
