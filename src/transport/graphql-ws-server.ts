import type { Server } from 'node:http';
import {
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  Kind,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Caller } from '../auth/caller';
import type { IdentifyCaller } from '../auth/identify-caller';
import type { Limits } from '../config/config';
import type { DocumentCache, ValidatedDocument } from '../graphql/document-cache';
import type { TakeTurnIfBusy } from '../lib/event-loop-turns';
import { visibleClasses } from '../events/visibility';
import { audienceOf } from '../graphql/authorize';
import { SUBSCRIPTION_EVENT } from '../graphql/use-subscription-event-execution';
import { compileNotificationProjection, type NotificationProjection } from '../graphql/notification-projection';
import { checkNotificationSubscription, type NotificationSubscriptionArgs } from '../graphql/notification-subscription';
import type { NotificationHistory } from '../history/notification-history';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { EventBus } from '../pubsub/event-bus';
import { parseClientMessage } from './client-message';
import { createDeadlines } from './deadlines';
import { startHeartbeat } from './heartbeat';
import { createNotificationFanOut, type NotificationMember } from './notification-fan-out';
import { createSubscriptionFanOut, type SharedSubscriptionRequest } from './subscription-fan-out';

export interface GraphQLWebSocketOptions {
  readonly server: Server;
  readonly path: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly yoga: YogaServerInstance<any, any>;
  readonly identifyCaller: IdentifyCaller;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly maxFrameBytes: number;
  readonly limits: Limits;
  /** Validated documents, shared with the HTTP mutation path. */
  readonly documents: DocumentCache;
  /** Where `notification` subscriptions read from: the same bus and history as the resolver's. */
  readonly notifications: { readonly bus: EventBus; readonly history: NotificationHistory };
  /**
   * The process's turn-taking: connection inits, subscribes and deliveries that come in bursts
   * (a reconnect storm, a batch publish) wait for a turn of the event loop once it is due.
   */
  readonly takeTurnIfBusy: TakeTurnIfBusy;
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

type SocketExtra = {
  readonly socket: WebSocket;
  caller?: Caller;
};

interface EnvelopedRoot {
  execute(args: ExecutionArgs): unknown;
  subscribe(args: ExecutionArgs): unknown;
}

/** The rootValue of an operation that reads a shared execution instead of running its own. */
interface SharedRoot {
  readonly share: SharedSubscriptionRequest<WebSocket>;
}

/** A `notification` operation on the lean path; `fallback` runs it the ordinary way (until it joined). */
interface LeanNotification extends NotificationMember<WebSocket> {
  readonly ctx: { readonly connectionParams?: Readonly<Record<string, unknown>>; readonly extra: SocketExtra };
  readonly document: ValidatedDocument;
  readonly operationName: string | null | undefined;
  readonly variables: Record<string, unknown> | null | undefined;
  /** Builds its result for an event without an execution, when its selection allows. */
  readonly projection: NotificationProjection | null;
  fallback: (() => Promise<unknown>) | null;
}

interface NotificationRoot {
  readonly notification: LeanNotification;
}

/**
 * The subscription fields whose execution subscribers may share, each with what of the
 * caller its result depends on (the group key's part that comes from the context). A field
 * not listed here runs once per subscriber: `notification` is one user's own channel, and
 * `threadViewers` makes each subscriber present.
 */
const SHAREABLE_FIELDS: Readonly<Record<string, (caller: Caller) => string>> = {
  // The resolver decides visibility by the caller's classes alone: never share across classes.
  forumActivity: (caller) => visibleClasses(audienceOf(caller)).join(','),
};

/** The root field of a subscription whose execution can be shared, if it is one. */
function shareableField(document: DocumentNode, operationName: string | null | undefined): string | null {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== 'subscription' || operation.selectionSet.selections.length !== 1) return null;
  const [selection] = operation.selectionSet.selections;
  if (selection?.kind !== Kind.FIELD || (selection.directives?.length ?? 0) > 0) return null;
  return Object.hasOwn(SHAREABLE_FIELDS, selection.name.value) ? selection.name.value : null;
}

/**
 * The `notification` field of a subscription that asks for nothing else (one root field, no
 * directives), with its operation: those can take the lean path.
 */
function notificationField(document: DocumentNode, operationName: string | null | undefined): { operation: OperationDefinitionNode; field: FieldNode } | null {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== 'subscription' || (operation.directives?.length ?? 0) > 0 || operation.selectionSet.selections.length !== 1) return null;
  const [selection] = operation.selectionSet.selections;
  if (selection?.kind !== Kind.FIELD || (selection.directives?.length ?? 0) > 0 || selection.name.value !== 'notification') return null;
  return { operation, field: selection };
}

/**
 * A socket as graphql-ws' server sees it: one small object per connection whose methods are
 * shared, rather than a closure per method and connection.
 */
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
  if (!connectionParams) return undefined;
  const key = Object.keys(connectionParams).find((name) => name.toLowerCase() === 'authorization');
  const value = key === undefined ? undefined : connectionParams[key];
  return typeof value === 'string' ? value : undefined;
}

/** The connection params without the token, or undefined if nothing else is left. */
function withoutAuthorization(connectionParams: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> | undefined {
  const rest = Object.entries(connectionParams ?? {}).filter(([name]) => name.toLowerCase() !== 'authorization');
  return rest.length > 0 ? Object.fromEntries(rest) : undefined;
}

/**
 * Serves the graphql-ws protocol on the HTTP server's `path`, executing every operation
 * through the same Yoga instance (and so the same plugins, context and error masking) as HTTP.
 * This is the only module that knows the `ws` library.
 *
 * It is its own thin adapter rather than graphql-ws' `useServer` so that a send never waits
 * for the kernel: what a slow client has not read piles up in the socket's buffer, where
 * `bufferedAmount` sees it and the slow-consumer bound applies, instead of in the event streams.
 */
export function attachGraphQLWebSocket(options: GraphQLWebSocketOptions) {
  const { server, path, yoga, identifyCaller, metrics, maxFrameBytes, limits } = options;
  const log = options.logger.child({ component: 'graphql-ws' });
  const wss = new WebSocketServer({ server, path, maxPayload: maxFrameBytes, handleProtocols: (protocols) => handleProtocols(protocols) });
  const stopHeartbeat = startHeartbeat(wss, limits.heartbeatIntervalMs);

  /** Ends a connection whose user token expires, so that no connection outlives its credentials. */
  const tokenExpiries = createDeadlines<WebSocket>((socket) => socket.close(CLOSE_CODES.tokenExpired, 'Token expired'));

  const cutOffIfSlow = (socket: WebSocket) => {
    if (socket.bufferedAmount <= limits.maxBufferedBytes || socket.readyState !== socket.OPEN) return;
    log.warn({ bufferedBytes: socket.bufferedAmount }, 'closing a connection that does not read what it is sent');
    socket.close(CLOSE_CODES.slowConsumer, 'Slow consumer');
    // A client that reads nothing will not read the close frame either.
    setTimeout(() => socket.terminate(), 1000).unref();
  };

  /** Writes a frame the fan-outs built, then applies the slow-consumer bound. */
  const sendFrame = (socket: WebSocket, frame: Buffer) => {
    if (socket.readyState !== socket.OPEN) return;
    socket.send(frame, { binary: false });
    cutOffIfSlow(socket);
  };

  const fanOut = createSubscriptionFanOut<WebSocket>({
    send: sendFrame,
    onMembersLive: (field, delta) => metrics.subscriptionsChanged(field, delta),
  });

  let schema: GraphQLSchema | null = null;

  // One event for a user's subscriptions: projected from the event when the selection allows,
  // else executed through Yoga's pipeline with a fresh context, as an HTTP request has, so that
  // no context is kept per subscription.
  const notifications = createNotificationFanOut<WebSocket, LeanNotification>({
    bus: options.notifications.bus,
    history: options.notifications.history,
    executionKey: ({ operationName, variables, document }) => [operationName ?? '', JSON.stringify(variables ?? {}), document.query].join('\u0000'),
    async execute(member, event, subscribers) {
      const projected = member.projection?.(event);
      if (projected) {
        // What the field's resolver records when the selection set is executed.
        metrics.eventDelivered('notification', Date.parse(event.createdAt), subscribers);
        return projected;
      }
      const { ctx, document, operationName, variables } = member;
      const enveloped = yoga.getEnveloped({
        connectionParams: ctx.connectionParams,
        socket: ctx.extra.socket,
        params: { query: document.query, operationName, variables },
        caller: ctx.extra.caller,
      });
      const contextValue = Object.assign(await enveloped.contextFactory(), { fanOut: { size: subscribers }, [SUBSCRIPTION_EVENT]: true });
      const args = { schema: enveloped.schema, document: document.document, operationName, variableValues: variables, rootValue: event, contextValue };
      return (await enveloped.execute(args)) as ExecutionResult;
    },
    send: sendFrame,
    onLive: (delta) => metrics.subscriptionsChanged('notification', delta),
    takeTurnIfBusy: options.takeTurnIfBusy,
  });

  /**
   * A `notification` operation whose arguments pass the resolver's own check, as a lean
   * member; null when anything is off (bad variables, refused): the ordinary path then runs
   * the operation and answers exactly as it always did.
   */
  /** By the `notification` field of each cached document: documents are kept, so their fields are too. */
  const projections = new WeakMap<FieldNode, NotificationProjection | null>();
  const leanNotification = (
    ctx: LeanNotification['ctx'],
    id: string,
    cached: ValidatedDocument,
    payload: { operationName?: string | null; variables?: Record<string, unknown> | null },
  ): LeanNotification | null => {
    const found = schema && ctx.extra.caller ? notificationField(cached.document, payload.operationName) : null;
    const fieldDef = found && schema!.getSubscriptionType()?.getFields().notification;
    if (!found || !fieldDef) return null;
    const coerced = getVariableValues(schema!, found.operation.variableDefinitions ?? [], payload.variables ?? {});
    if (coerced.errors) return null;
    let checked;
    try {
      checked = checkNotificationSubscription(
        ctx.extra.caller!,
        getArgumentValues(fieldDef, found.field, coerced.coerced) as unknown as NotificationSubscriptionArgs,
      );
    } catch {
      return null;
    }
    const { operationName, variables } = payload;
    if (!projections.has(found.field)) projections.set(found.field, compileNotificationProjection(schema!, found.field));
    return {
      socket: ctx.extra.socket,
      operationId: id,
      userId: checked.userId,
      after: checked.after,
      ctx,
      document: cached,
      operationName,
      variables,
      projection: projections.get(found.field) ?? null,
      fallback: null,
    };
  };

  const joinNotification = async (lean: LeanNotification) => {
    const fallback = lean.fallback!;
    lean.fallback = null; // nothing of the ordinary path is kept once the member joined
    return (await notifications.join(lean)) ?? fallback();
  };

  const protocol: ServerOptions<Record<string, unknown> | undefined, SocketExtra> = {
    connectionInitWaitTimeout: limits.connectionInitTimeoutMs,
    async onConnect(ctx) {
      const turn = options.takeTurnIfBusy();
      if (turn) await turn;
      const caller = await identifyCaller(authorizationOf(ctx.connectionParams));
      if (caller.kind === 'invalid') {
        log.info({ reason: caller.reason }, 'refused a WebSocket connection with a bad token');
        return false; // graphql-ws closes the socket with 4403 Forbidden
      }
      ctx.extra.caller = caller;
      // The token is checked once: the connection keeps the caller it names (whose expiry
      // closes the socket), not the token, which would cost its length for the socket's life.
      (ctx as { connectionParams?: Readonly<Record<string, unknown>> }).connectionParams = withoutAuthorization(ctx.connectionParams);
      const { socket } = ctx.extra;
      // A socket that closed meanwhile has had its 'close' event: nothing would forget it.
      if (caller.kind === 'user' && socket.readyState !== socket.CLOSED) tokenExpiries.add(socket, caller.user.expiresAtMs);
      return true;
    },
    async onSubscribe(ctx, id, payload) {
      // graphql-ws has already registered this operation in ctx.subscriptions.
      if (Object.keys(ctx.subscriptions).length > limits.maxSubscriptionsPerConnection) {
        const message = `A connection may run at most ${limits.maxSubscriptionsPerConnection} operations at once.`;
        return [new GraphQLError(message, { extensions: { code: 'TOO_MANY_OPERATIONS' } })];
      }
      const turn = options.takeTurnIfBusy();
      if (turn) await turn;
      // Only what the context needs: a subscription keeps its context while it lives.
      let enveloped: ReturnType<typeof yoga.getEnveloped> | null = null;
      const envelop = () =>
        (enveloped ??= yoga.getEnveloped({
          connectionParams: ctx.connectionParams,
          socket: ctx.extra.socket,
          params: payload,
          caller: ctx.extra.caller,
        }));
      const cached = options.documents.validate(payload.query, envelop);
      if (!('document' in cached)) return [...cached];
      schema ??= envelop().schema;
      const { document } = cached;
      const lean = leanNotification(ctx, id, cached, payload);
      if (lean) {
        const run = envelop;
        lean.fallback = async () => {
          const { subscribe, contextFactory } = run();
          return subscribe({
            schema: run().schema,
            document,
            operationName: payload.operationName,
            variableValues: payload.variables,
            contextValue: await contextFactory(),
          });
        };
        const rootValue: NotificationRoot = { notification: lean };
        return { schema: schema!, document, operationName: payload.operationName, variableValues: payload.variables, contextValue: null, rootValue };
      }
      const { schema: envelopedSchema, execute, subscribe, contextFactory } = envelop();
      const field = ctx.extra.caller ? shareableField(document, payload.operationName) : null;
      if (field !== null) {
        const caller = ctx.extra.caller as Caller;
        // Everything the execution depends on; the query text stands for the (cached) document.
        const key = [field, SHAREABLE_FIELDS[field]!(caller), payload.operationName ?? '', JSON.stringify(payload.variables ?? {}), payload.query].join(
          '\u0000',
        );
        const share: SharedSubscriptionRequest<WebSocket> = {
          key,
          field: field as SharedSubscriptionRequest<WebSocket>['field'],
          member: { socket: ctx.extra.socket, operationId: id },
          // Only the group's first member runs this: one subscribe, with its context.
          start: async (members) => {
            const contextValue = Object.assign(await contextFactory(), { fanOut: members });
            return (await subscribe({
              schema: envelopedSchema,
              document,
              operationName: payload.operationName,
              variableValues: payload.variables,
              contextValue,
            })) as AsyncIterable<ExecutionResult> | ExecutionResult;
          },
        };
        const rootValue: SharedRoot = { share };
        return { schema: envelopedSchema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue: null, rootValue };
      }
      const rootValue: EnvelopedRoot = { execute, subscribe };
      return {
        schema: envelopedSchema,
        document,
        operationName: payload.operationName,
        variableValues: payload.variables,
        contextValue: await contextFactory(),
        rootValue,
      };
    },
    onNext: (ctx) => cutOffIfSlow(ctx.extra.socket),
    execute: (args) => (args.rootValue as EnvelopedRoot).execute(args) as never,
    subscribe: (args) => {
      const root = args.rootValue as EnvelopedRoot | SharedRoot | NotificationRoot;
      if ('subscribe' in root) return root.subscribe(args) as never;
      // graphql-ws keeps these args while the operation lives; this root is needed only to join.
      args.rootValue = undefined;
      return ('notification' in root ? joinNotification(root.notification) : fanOut.join(root.share)) as never;
    },
  };
  const graphqlWs = makeServer(protocol);

  /** The query text of the cached document equal to `query`, if any: one string for all its operations. */
  const canonicalQuery = (query: string) => options.documents.get(query)?.query ?? query;

  /** Hands `socket`'s messages to graphql-ws; an operation that fails unexpectedly closes its socket. */
  const handleMessage = (socket: WebSocket, onMessage: (data: string) => Promise<void>, data: RawData) => {
    // A message that waited for its turn while the socket closed is for nobody.
    if (socket.readyState !== socket.OPEN) return;
    // graphql-ws takes the parsed message as well as the text (see parseClientMessage).
    onMessage(parseClientMessage(String(data), canonicalQuery) as string).catch((error: unknown) => {
      log.error({ err: error }, 'an operation failed unexpectedly; closing its socket');
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    });
  };
  // Thousands of sockets' messages can arrive in one poll of the event loop (every client
  // subscribing at once): each waits for its turn before it is even parsed, and the turns keep
  // the order in which the messages came.
  const listen = (socket: WebSocket, onMessage: (data: string) => Promise<void>) =>
    socket.on('message', (data) => {
      const turn = options.takeTurnIfBusy();
      if (turn) void turn.then(() => handleMessage(socket, onMessage, data));
      else handleMessage(socket, onMessage, data);
    });

  const onSocketError = (error: Error) => log.info({ err: error.message }, 'WebSocket error; the socket is closed');

  wss.on('connection', (socket) => {
    metrics.connectionOpened();
    socket.on('error', onSocketError);
    // Not the upgrade request: kept for the connection's whole life, it would cost kilobytes each.
    const extra: SocketExtra = { socket };
    const closed = graphqlWs.opened(new ProtocolSocket(socket, listen), extra);
    // One listener for all that ends with the socket: each more would cost a wrapper and array room.
    socket.on('close', (code, reason) => {
      metrics.connectionClosed();
      if (extra.caller?.kind === 'user') tokenExpiries.delete(socket, extra.caller.user.expiresAtMs);
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
    /** Null while fewer than `limit` notification deliveries wait in this process, else when they do. */
    whenDeliveriesBelow: (limit: number) => notifications.whenBacklogBelow(limit),
  };
}
