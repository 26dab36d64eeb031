import type { Server } from 'node:http';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Caller } from '../events/caller';
import { bearerTokenOf, type IdentifyCaller } from '../auth/identify-caller';
import type { Limits } from '../config/config';
import type { DocumentCache } from '../graphql/document-cache';
import type { PreparedOperation, SubscriptionPipeline } from '../graphql/subscriptions/pipeline';
import type { EncodedResult, OpenSubscription, Subscriber } from '../graphql/subscriptions/subscriber';
import { createTokenExpiries } from '../graphql/subscriptions/token-expiries';
import type { TakeTurnIfBusy } from '../lib/event-loop-turns';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { BypassedIterator } from './bypassed-iterator';
import { parseClientMessage } from './client-message';
import { startHeartbeat } from './heartbeat';
import { nextFrame } from './next-frames';

export interface GraphQLWebSocketOptions {
  readonly server: Server;
  readonly path: string;
  readonly pipeline: SubscriptionPipeline;
  readonly identifyCaller: IdentifyCaller;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly maxFrameBytes: number;
  readonly limits: Limits;
  /** The validated documents the pipeline keeps: a subscribe's query text is replaced by the cached equal one. */
  readonly documents: DocumentCache;
  /** Connection inits and subscribes that come in bursts (a reconnect storm) wait for a turn of the event loop once it is due. */
  readonly takeTurnIfBusy: TakeTurnIfBusy;
  /** Keep each connection's bearer token for the pipeline's hooks (costs its length per connection); off by default. */
  readonly keepBearerToken?: boolean;
}

/** Close codes of our own, beside graphql-ws' (4400, 4401, 4403, 4408, 4409, 4429, 4500). */
export const CLOSE_CODES = {
  /** The user's token expired while connected: get a new token, then reconnect. */
  tokenExpired: 4403,
  /** The client read too slowly and its unsent buffer passed MAX_BUFFERED_BYTES: reconnect and resume with `after`. */
  slowConsumer: 1008,
  /** This process holds MAX_CONNECTIONS sockets: reconnect with backoff, perhaps elsewhere. */
  tooManyConnections: 1013,
} as const;

/** What the adapter keeps per connection (graphql-ws' `extra`). */
interface Connection {
  readonly socket: WebSocket;
  readonly send: (socket: WebSocket, frame: Buffer) => void;
  caller?: Caller;
  bearerToken?: string;
}

/** The rootValue of an operation until graphql-ws runs it. */
interface PreparedRoot {
  readonly prepared: PreparedOperation;
  readonly connection: Connection;
  readonly id: string;
}

/** One operation: the pipeline's subscriber and the iterator graphql-ws holds (results bypass it). */
class Operation extends BypassedIterator implements Subscriber {
  subscription: OpenSubscription | null = null;

  constructor(
    private readonly connection: Connection,
    private readonly id: string,
  ) {
    super();
  }

  get caller(): Caller {
    return this.connection.caller!;
  }

  get bearerToken(): string | undefined {
    return this.connection.bearerToken;
  }

  send(result: EncodedResult): void {
    this.connection.send(this.connection.socket, result.frame(this.id, nextFrame));
  }

  end(error?: unknown): void {
    this.finish(error);
  }

  protected onReturn(): void {
    this.subscription?.close();
    this.subscription = null;
  }
}

/** A socket as graphql-ws' server sees it: one small object per connection whose methods are shared. */
class ProtocolSocket {
  constructor(
    private readonly socket: WebSocket,
    private readonly listen: (socket: WebSocket, onMessage: (data: string) => Promise<void>) => void,
  ) {}

  get protocol(): string {
    return this.socket.protocol;
  }

  send(data: string): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(data);
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }

  onMessage(onMessage: (data: string) => Promise<void>): void {
    this.listen(this.socket, onMessage);
  }
}

/** GraphiQL sends its header editor's entries as connection params, so any letter case is accepted. */
function authorizationOf(connectionParams: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const key = Object.keys(connectionParams ?? {}).find((name) => name.toLowerCase() === 'authorization');
  const value = key === undefined ? undefined : connectionParams![key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Serves the graphql-ws protocol on the HTTP server's `path`; every operation runs through the
 * subscription pipeline, which this adapter only feeds and whose results it frames. The only
 * module that knows the `ws` library.
 *
 * Its own thin adapter rather than graphql-ws' `useServer` so that a send never waits for the
 * kernel: what a slow client has not read piles up in the socket's buffer, where
 * `bufferedAmount` sees it and the slow-consumer bound applies.
 */
export function attachGraphQLWebSocket(options: GraphQLWebSocketOptions) {
  const { server, path, pipeline, identifyCaller, metrics, maxFrameBytes, limits, takeTurnIfBusy } = options;
  const log = options.logger.child({ component: 'graphql-ws' });
  const wss = new WebSocketServer({ server, path, maxPayload: maxFrameBytes, handleProtocols: (protocols) => handleProtocols(protocols) });
  const stopHeartbeat = startHeartbeat(wss, limits.heartbeatIntervalMs);
  const tokenExpiries = createTokenExpiries<WebSocket>((socket) => socket.close(CLOSE_CODES.tokenExpired, 'Token expired'));

  const cutOffIfSlow = (socket: WebSocket) => {
    if (socket.bufferedAmount <= limits.maxBufferedBytes || socket.readyState !== socket.OPEN) return;
    log.warn({ bufferedBytes: socket.bufferedAmount }, 'closing a connection that does not read what it is sent');
    metrics.slowConsumerCut();
    socket.close(CLOSE_CODES.slowConsumer, 'Slow consumer');
    // A client that reads nothing will not read the close frame either.
    setTimeout(() => socket.terminate(), 1000).unref();
  };
  const sendFrame = (socket: WebSocket, frame: Buffer) => {
    if (socket.readyState !== socket.OPEN) return;
    socket.send(frame, { binary: false });
    cutOffIfSlow(socket);
  };

  /** Opens a prepared operation: its iterator for graphql-ws, or its one result. */
  const run = async (args: ExecutionArgs) => {
    const { prepared, connection, id } = args.rootValue as PreparedRoot;
    args.rootValue = undefined; // graphql-ws keeps the args while the operation lives
    const operation = new Operation(connection, id);
    const opened = await prepared.open(operation);
    if (!('close' in opened)) return opened;
    operation.subscription = opened;
    return operation;
  };

  const protocol: ServerOptions<Record<string, unknown> | undefined, Connection> = {
    connectionInitWaitTimeout: limits.connectionInitTimeoutMs,
    async onConnect(ctx) {
      const turn = takeTurnIfBusy();
      if (turn) await turn;
      const authorization = authorizationOf(ctx.connectionParams);
      const caller = await identifyCaller(authorization);
      if (caller.kind === 'invalid') {
        log.info({ reason: caller.reason }, 'refused a WebSocket connection with a bad token');
        return false; // graphql-ws closes the socket with 4403 Forbidden
      }
      const connection = ctx.extra;
      connection.caller = caller;
      if (options.keepBearerToken && authorization) connection.bearerToken = bearerTokenOf(authorization) ?? undefined;
      // The params are checked once: the connection keeps the caller they name, not the token.
      (ctx as { connectionParams?: unknown }).connectionParams = undefined;
      // A socket that closed meanwhile has had its 'close' event: nothing would forget it.
      if (connection.socket.readyState !== connection.socket.CLOSED) tokenExpiries.watch(connection.socket, caller);
      return true;
    },
    async onSubscribe(ctx, id, payload) {
      // graphql-ws has already registered this operation in ctx.subscriptions.
      if (Object.keys(ctx.subscriptions).length > limits.maxSubscriptionsPerConnection) {
        const message = `A connection may run at most ${limits.maxSubscriptionsPerConnection} operations at once.`;
        return [new GraphQLError(message, { extensions: { code: 'TOO_MANY_OPERATIONS' } })];
      }
      const prepared = await pipeline.prepare(payload, ctx.extra.caller!);
      if (!('open' in prepared)) return [...prepared];
      const { validated, operationName, variables } = prepared;
      const rootValue: PreparedRoot = { prepared, connection: ctx.extra, id };
      return { schema: validated.schema, document: validated.document, operationName, variableValues: variables, contextValue: null, rootValue };
    },
    onNext: (ctx) => cutOffIfSlow(ctx.extra.socket),
    execute: run as never,
    subscribe: run as never,
  };
  const graphqlWs = makeServer(protocol);

  /** The query text of the cached document equal to `query`, if any: one string for all its operations. */
  const canonicalQuery = (query: string) => options.documents.get(query)?.query ?? query;

  /** Hands `socket`'s messages to graphql-ws; an operation that fails unexpectedly closes its socket. */
  const handleMessage = (socket: WebSocket, onMessage: (data: string) => Promise<void>, data: RawData) => {
    // A message that waited for its turn while the socket closed is for nobody.
    if (socket.readyState !== socket.OPEN) return;
    onMessage(parseClientMessage(String(data), canonicalQuery) as string).catch((error: unknown) => {
      log.error({ err: error }, 'an operation failed unexpectedly; closing its socket');
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    });
  };
  // Thousands of sockets' messages can arrive in one poll of the event loop: each waits for its
  // turn before it is even parsed, and the turns keep the order in which the messages came.
  const listen = (socket: WebSocket, onMessage: (data: string) => Promise<void>) =>
    socket.on('message', (data) => {
      const turn = takeTurnIfBusy();
      if (turn) void turn.then(() => handleMessage(socket, onMessage, data));
      else handleMessage(socket, onMessage, data);
    });

  const onSocketError = (error: Error) => log.info({ err: error.message }, 'WebSocket error; the socket is closed');

  wss.on('connection', (socket) => {
    metrics.connectionOpened();
    socket.on('error', onSocketError);
    // Not the upgrade request: kept for the connection's whole life, it would cost kilobytes each.
    const connection: Connection = { socket, send: sendFrame };
    const closed = graphqlWs.opened(new ProtocolSocket(socket, listen), connection);
    // One listener for all that ends with the socket: each more would cost a wrapper and array room.
    socket.on('close', (code, reason) => {
      metrics.connectionClosed(code, connection.caller !== undefined);
      if (connection.caller) tokenExpiries.forget(socket, connection.caller);
      void closed(code, String(reason));
    });
    if (wss.clients.size > limits.maxConnections) socket.close(CLOSE_CODES.tooManyConnections, 'Too many connections');
  });

  return {
    /** Closes every socket with `code` and stops accepting new ones. */
    close(code: number = CloseCode.InternalServerError, reason = 'Server shutting down'): Promise<void> {
      stopHeartbeat();
      tokenExpiries.clear();
      for (const client of wss.clients) client.close(code, reason);
      return new Promise((resolve) => wss.close(() => resolve()));
    },
  };
}
