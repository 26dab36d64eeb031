import type { Server } from 'node:http';
import { CloseCode, handleProtocols, makeServer } from 'graphql-ws';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { IdentifyCaller } from '../auth/identify-caller';
import type { Limits } from '../config/config';
import type { Caller } from '../events/caller';
import type { SubscriptionPipeline } from '../graphql/subscriptions/pipeline';
import { createTokenExpiries } from '../graphql/subscriptions/token-expiries';
import type { TurnTaker } from '../lib/event-loop-turns';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { parseClientMessage } from './client-message';
import { graphqlWsProtocol, type ProtocolConnection } from './graphql-ws-protocol';
import { startHeartbeat } from './heartbeat';

/** graphql-ws' messages are text frames (a browser hands a binary one over as a Blob); ws copies its options, so one object serves every send. */
const AS_TEXT = { binary: false } as const;

export interface GraphQLWebSocketOptions {
  readonly server: Server;
  readonly path: string;
  readonly pipeline: SubscriptionPipeline;
  readonly identifyCaller: IdentifyCaller;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly maxFrameBytes: number;
  readonly limits: Limits;
  /** Connection inits and subscribes that come in bursts (a reconnect storm) wait for a turn of the event loop once it is due. */
  readonly takeTurnIfBusy: TurnTaker;
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

/**
 * One per socket, with shared methods: what the protocol keeps per connection (graphql-ws'
 * `extra`) and the socket as graphql-ws' server sees it, in one object.
 */
class Connection implements ProtocolConnection {
  caller?: Caller;
  bearerToken?: string;
  operations?: Map<string, { close(): void }>;

  constructor(
    readonly socket: WebSocket,
    private readonly adapter: {
      sendFrame(socket: WebSocket, frame: Buffer): void;
      listen(connection: Connection, onMessage: (data: string) => Promise<void>): void;
    },
  ) {}

  get protocol(): string {
    return this.socket.protocol;
  }

  sendFrame(frame: Buffer): void {
    this.adapter.sendFrame(this.socket, frame);
  }

  send(data: string): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(data);
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }

  onMessage(onMessage: (data: string) => Promise<void>): void {
    this.adapter.listen(this, onMessage);
  }
}

/**
 * Serves the graphql-ws protocol (`graphqlWsProtocol`: every operation runs through the
 * subscription pipeline) on the HTTP server's `path`: the sockets, their bounds (frame size,
 * slow consumers, connections, heartbeat), their messages' turns and their token's expiry.
 * The only module that knows the `ws` library.
 *
 * Its own thin adapter rather than graphql-ws' `useServer` so that a send never waits for the
 * kernel: what a slow client has not read piles up in the socket's buffer, where
 * `bufferedAmount` sees it and the slow-consumer bound applies.
 */
export function attachGraphQLWebSocket(options: GraphQLWebSocketOptions) {
  const { server, path, pipeline, metrics, maxFrameBytes, limits, takeTurnIfBusy } = options;
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
    socket.send(frame, AS_TEXT);
    cutOffIfSlow(socket);
  };

  const protocol = graphqlWsProtocol<Connection>({
    pipeline,
    limits,
    takeTurnIfBusy,
    identifyCaller: options.identifyCaller,
    keepBearerToken: options.keepBearerToken,
    logger: options.logger,
    onAccepted({ socket, caller }) {
      // A socket that closed meanwhile has had its 'close' event: nothing would forget it.
      if (socket.readyState !== socket.CLOSED) tokenExpiries.watch(socket, caller!);
    },
  });
  const graphqlWs = makeServer(protocol.serverOptions);

  /** Hands a connection's message to its operations or to graphql-ws; an operation that fails unexpectedly closes its socket. */
  const handleMessage = (connection: Connection, onMessage: (data: string) => Promise<void>, text: string) => {
    const { socket } = connection;
    // A message that waited for its turn while the socket closed is for nobody.
    if (socket.readyState !== socket.OPEN) return;
    const message = parseClientMessage(text, pipeline.sharedQueryText);
    (protocol.receive(connection, message) ?? onMessage(message as string)).catch((error: unknown) => {
      log.error({ err: error }, 'an operation failed unexpectedly; closing its socket');
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    });
  };
  // Thousands of sockets' messages can arrive in one poll of the event loop: each waits for its
  // turn before it is even parsed, and the turns keep the order in which the messages came.
  // What waits is the message's text (smaller than its Buffer) and one closure.
  const listen = (connection: Connection, onMessage: (data: string) => Promise<void>) =>
    connection.socket.on('message', (data: RawData) => {
      const text = String(data);
      takeTurnIfBusy.runInTurn(() => handleMessage(connection, onMessage, text));
    });
  const adapter = { sendFrame, listen };

  const onSocketError = (error: Error) => log.info({ err: error.message }, 'WebSocket error; the socket is closed');

  wss.on('connection', (socket) => {
    metrics.connectionOpened();
    socket.on('error', onSocketError);
    // Not the upgrade request: kept for the connection's whole life, it would cost kilobytes each.
    const connection = new Connection(socket, adapter);
    const closed = graphqlWs.opened(connection, connection);
    // One listener for all that ends with the socket: each more would cost a wrapper and array room.
    socket.on('close', (code, reason) => {
      metrics.connectionClosed(code, connection.caller !== undefined);
      if (connection.caller) tokenExpiries.forget(socket, connection.caller);
      protocol.closeAll(connection);
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
