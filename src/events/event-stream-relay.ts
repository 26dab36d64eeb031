import type { Caller } from './caller';

/**
 * What crosses the bus in GraphQL over SSE's single connection mode: the reservation, the
 * stream and the operations may reach different processes, so a request for a stream is
 * handed to the process that holds it, which answers on the asker's own reply topic.
 */

/** A GraphQL request, as a POST carries it. */
export interface GraphQLParams {
  readonly query: string;
  readonly variables?: Record<string, unknown>;
  readonly operationName?: string;
  readonly extensions?: Record<string, unknown>;
}

/** An operation or its end, asked of the process that holds the stream. */
export type StreamRequest =
  | {
      readonly kind: 'start';
      readonly operationId: string;
      readonly caller: Exclude<Caller, { kind: 'invalid' }>;
      /** The caller's own token, only when the service keeps them for its subscription hooks (`keepBearerTokens`). */
      readonly bearerToken?: string;
      readonly params: GraphQLParams;
    }
  | { readonly kind: 'stop'; readonly operationId: string };

/** The HTTP answer to a stream request: a status, and a JSON body if any. */
export interface StreamAnswer {
  readonly status: number;
  readonly body?: string;
}

export type EventStreamMessage =
  /** A stream opened for the reservation: any other stream of it (on any process) closes. */
  | { readonly kind: 'opened'; readonly streamId: string }
  | { readonly kind: 'request'; readonly requestId: string; readonly replyTo: string; readonly request: StreamRequest };

export interface EventStreamReply {
  readonly requestId: string;
  readonly answer: StreamAnswer;
}
