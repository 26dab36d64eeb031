import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';
import { bearerTokenOf, type IdentifyCaller } from '../../auth/identify-caller';
import type { GraphQLParams, StreamAnswer } from '../../events/event-stream-relay';
import { isBusUnavailable } from '../../graphql/bus-unavailable';
import type { Logger } from '../../observability/logger';
import { corsHeaders } from '../cors-headers';
import { readBody } from '../read-body';
import { errorsJson } from './event-stream-events';
import { holderOf, type ReservationTokens } from './reservation-token';
import { STREAM_NOT_FOUND, type SingleConnectionStreams } from './single-connection-streams';

/** graphql-yoga's path for its graphql-sse plugin, kept here. */
export const GRAPHQL_SSE_PATH = '/graphql/stream';
/** The header graphql-sse's client sends the reservation token in; `?token=` is the protocol's alternative. */
export const TOKEN_HEADER = 'x-graphql-event-stream-token';

export interface GraphQLSseHandlerOptions {
  /** Where `/graphql`'s own SSE is served: the distinct connections mode is exactly that. */
  readonly graphqlPath: string;
  /** The listener of `graphqlPath`. */
  readonly graphql: RequestListener;
  readonly identifyCaller: IdentifyCaller;
  readonly tokens: ReservationTokens;
  readonly streams: SingleConnectionStreams;
  readonly maxBodyBytes: number;
  /** Hand each operation's bearer token to the pipeline's hooks; off by default. */
  readonly keepBearerToken?: boolean;
  readonly logger: Logger;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };
const errorsBody = (message: string, code?: string) => errorsJson([new GraphQLError(message, code ? { extensions: { code } } : {})]);

class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The operation a POST of the single connection mode carries, with its id from `extensions.operationId`. */
function operationOf(text: string): { operationId: string; params: GraphQLParams } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new RequestError(400, 'The body is not JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new RequestError(400, 'The body must be a JSON object.');
  const { query, variables, operationName, extensions } = body as Record<string, unknown>;
  if (typeof query !== 'string') throw new RequestError(400, 'The query must be a string.');
  if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) throw new RequestError(400, 'The variables must be an object.');
  if (operationName != null && typeof operationName !== 'string') throw new RequestError(400, 'The operationName must be a string.');
  if (extensions != null && (typeof extensions !== 'object' || Array.isArray(extensions))) throw new RequestError(400, 'The extensions must be an object.');
  const operationId = (extensions as Record<string, unknown> | null | undefined)?.['operationId'];
  if (typeof operationId !== 'string' || operationId === '') throw new RequestError(400, 'The operation id (extensions.operationId) is missing.');
  return {
    operationId,
    params: {
      query,
      ...(variables != null ? { variables: variables as Record<string, unknown> } : {}),
      ...(operationName != null ? { operationName } : {}),
      ...(extensions != null ? { extensions: extensions as Record<string, unknown> } : {}),
    },
  };
}

/** Whether a request is for `/graphql/stream`. */
export const isGraphQLSseRequest = (url: string | undefined) => url === GRAPHQL_SSE_PATH || url?.startsWith(`${GRAPHQL_SSE_PATH}?`) === true;

/**
 * `/graphql/stream`: GraphQL over SSE in both of the protocol's modes.
 * - Distinct connections: `GET`/`POST` with `Accept: text/event-stream` and no token, one
 *   operation per stream: `/graphql`'s own SSE.
 * - Single connection: `PUT` reserves a stream (201, the token as text); `GET` with the token
 *   opens it; `POST` with the token and `extensions.operationId` starts an operation (202) whose
 *   results arrive on the stream; `DELETE ?operationId=` stops one (200).
 * The reservation is its holder's (see `holderOf`): the `Authorization` of the stream and of
 * every operation must name the same caller as the reservation's, or the request is refused
 * (401 for a token that is not valid, 403 for somebody else) with the errors in the body.
 */
export function createGraphQLSseHandler(options: GraphQLSseHandlerOptions): RequestListener {
  const { identifyCaller, tokens, streams } = options;
  const log = options.logger.child({ component: 'graphql-sse' });

  const send = (request: IncomingMessage, response: ServerResponse, answer: StreamAnswer, headers: Record<string, string> = {}) => {
    response.writeHead(answer.status, { ...(answer.body !== undefined ? JSON_HEADERS : {}), ...corsHeaders(request), ...headers }).end(answer.body);
  };
  const refuse = (request: IncomingMessage, response: ServerResponse, status: number, message: string, code?: string) =>
    send(request, response, { status, body: errorsBody(message, code) });

  /** The caller named by the request's `Authorization`; null when it was refused (the answer is sent). */
  const callerOf = async (request: IncomingMessage, response: ServerResponse) => {
    const caller = await identifyCaller(request.headers.authorization);
    if (caller.kind !== 'invalid') return caller;
    refuse(request, response, 401, `The token is not valid: ${caller.reason}.`, 'UNAUTHENTICATED');
    return null;
  };

  const reserve = async (request: IncomingMessage, response: ServerResponse) => {
    const caller = await callerOf(request, response);
    if (!caller) return;
    response.writeHead(201, { 'content-type': 'text/plain; charset=utf-8', ...corsHeaders(request) }).end(tokens.issue(holderOf(caller)));
  };

  const onStream = async (request: IncomingMessage, response: ServerResponse, token: string, url: URL) => {
    const reservation = tokens.read(token);
    if (!reservation) return send(request, response, STREAM_NOT_FOUND);
    const caller = await callerOf(request, response);
    if (!caller) return;
    if (holderOf(caller) !== reservation.holder) {
      return refuse(request, response, 403, 'This event stream was reserved by somebody else.', 'FORBIDDEN');
    }
    switch (request.method) {
      case 'GET':
        if (Date.now() > reservation.openBy) return send(request, response, STREAM_NOT_FOUND);
        return streams.open(reservation, caller, response);
      case 'POST': {
        if (!/application\/json/i.test(request.headers['content-type'] ?? '')) return refuse(request, response, 415, 'Send the operation as application/json.');
        const length = Number(request.headers['content-length']);
        if (!(length > 0)) return refuse(request, response, 411, 'Send the operation with a Content-Length.');
        if (length > options.maxBodyBytes) return refuse(request, response, 413, 'Request body too large');
        const { operationId, params } = operationOf(await readBody(request));
        const bearerToken = (options.keepBearerToken && bearerTokenOf(request.headers.authorization ?? '')) || undefined;
        const answer = await streams.ask(reservation.id, { kind: 'start', operationId, caller, params, ...(bearerToken ? { bearerToken } : {}) });
        // A client that gives up before it has the answer never stops the operation (graphql-sse's client sends
        // no DELETE then): an answer that does not reach it stops the operation here.
        const stopUnanswered = () => void streams.ask(reservation.id, { kind: 'stop', operationId }).catch(() => {});
        if (answer.status === 202 && response.destroyed) stopUnanswered();
        else if (answer.status === 202) response.once('close', () => response.writableFinished || stopUnanswered());
        return send(request, response, answer);
      }
      case 'DELETE': {
        const operationId = url.searchParams.get('operationId');
        if (!operationId) return refuse(request, response, 400, 'The operation id (?operationId=) is missing.');
        return send(request, response, await streams.ask(reservation.id, { kind: 'stop', operationId }));
      }
      default:
        return send(request, response, { status: 405 }, { allow: 'GET, POST, PUT, DELETE' });
    }
  };

  const handle = async (request: IncomingMessage, response: ServerResponse, url: URL) => {
    const token = (request.headers[TOKEN_HEADER] as string | undefined) ?? url.searchParams.get('token');
    // A PUT always reserves anew: graphql-sse's client sends its previous token along when it reconnects.
    if (request.method === 'PUT') return reserve(request, response);
    if (request.method === 'OPTIONS') return options.graphql(request, response); // a CORS preflight, answered as on /graphql
    if (token) return onStream(request, response, token, url);
    const wantsStream = /text\/event-stream/i.test(request.headers.accept ?? '');
    if ((request.method === 'GET' || request.method === 'POST') && wantsStream) {
      request.url = options.graphqlPath + url.search;
      return options.graphql(request, response);
    }
    if (request.method === 'GET' || request.method === 'POST') {
      return refuse(
        request,
        response,
        406,
        'Accept text/event-stream (distinct connections), or reserve a stream with PUT and send its token (single connection).',
      );
    }
    if (request.method === 'DELETE') return send(request, response, STREAM_NOT_FOUND);
    return send(request, response, { status: 405 }, { allow: 'GET, POST, PUT, DELETE' });
  };

  return (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    handle(request, response, url).catch((error: unknown) => {
      if (response.headersSent) return void response.destroy();
      if (error instanceof RequestError) return refuse(request, response, error.status, error.message);
      if (isBusUnavailable(error)) return refuse(request, response, 503, 'The event bus is unavailable; retry.', 'UNAVAILABLE');
      log.error({ err: error }, 'answering a GraphQL-over-SSE request failed');
      refuse(request, response, 500, 'Unexpected error.');
    });
  };
}
