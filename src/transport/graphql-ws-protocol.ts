import { GraphQLError, type ExecutionResult } from 'graphql';
import { CloseCode, MessageType, stringifyMessage, validateMessage, type ServerOptions, type SubscribePayload } from 'graphql-ws';
import { bearerTokenOf, type IdentifyCaller } from '../auth/identify-caller';
import type { Limits } from '../config/config';
import type { Caller } from '../events/caller';
import { tooManyOperations } from '../graphql/errors';
import type { SubscriptionPipeline } from '../graphql/subscriptions/pipeline';
import { EncodedResult, type OpenSubscription, type Subscriber } from '../graphql/subscriptions/subscriber';
import type { TakeTurnIfBusy } from '../lib/event-loop-turns';
import type { Logger } from '../observability/logger';

/** What the protocol keeps per connection (graphql-ws' `extra`); the adapter's object, one per socket. */
export interface ProtocolConnection {
  caller?: Caller;
  bearerToken?: string;
  /** Its running operations by id, made for the first one. */
  operations?: Map<string, { close(): void }>;
  /** Writes one `next` frame to the socket (the adapter's slow-consumer bound applies). */
  sendFrame(frame: Buffer): void;
  /** Writes one protocol message, if the socket is still open. */
  send(data: string): void;
  close(code: number, reason: string): void;
}

export interface GraphQLWsProtocolOptions<Connection extends ProtocolConnection> {
  readonly pipeline: SubscriptionPipeline;
  readonly identifyCaller: IdentifyCaller;
  readonly limits: Limits;
  /** Connection inits that come in bursts (a reconnect storm) wait for a turn of the event loop once it is due. */
  readonly takeTurnIfBusy: TakeTurnIfBusy;
  /** Keep each connection's bearer token for the pipeline's hooks (costs its length per connection); off by default. */
  readonly keepBearerToken?: boolean;
  readonly logger: Logger;
  /** A connection's caller was identified and accepted (its token's expiry is the adapter's to watch). */
  readonly onAccepted: (connection: Connection) => void;
}

/** The graphql-ws `next` frame of one operation id carrying a result's JSON (see `EncodedResult.frame`). */
export function nextFrame(resultJson: string, operationId: string): Buffer {
  return Buffer.from(`{"id":${JSON.stringify(operationId)},"type":"next","payload":${resultJson}}`);
}

/** One operation of a connection, and the pipeline's subscriber for it: one small object with shared methods. */
class Operation implements Subscriber {
  subscription: OpenSubscription | null = null;

  constructor(
    private readonly connection: ProtocolConnection,
    readonly id: string,
  ) {}

  get caller(): Caller {
    return this.connection.caller!;
  }

  get bearerToken(): string | undefined {
    return this.connection.bearerToken;
  }

  /** Still the connection's operation of its id (not completed by the client, not ended, socket not closed). */
  get current(): boolean {
    return this.connection.operations?.get(this.id) === this;
  }

  send(result: EncodedResult): void {
    this.connection.sendFrame(result.frame(this.id, nextFrame));
  }

  /** The operation ended on the server's side: `complete`, or `error` with the error it ended with (as graphql-ws words it). */
  end(error?: unknown): void {
    if (error === undefined) {
      if (this.forget()) this.connection.send(stringifyMessage({ id: this.id, type: MessageType.Complete }));
      return;
    }
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- graphql-ws' own wording for whatever was thrown
    const original = error instanceof Error ? error : new Error(String(error));
    this.fail([new GraphQLError(original.message, { originalError: original })]);
  }

  /** Answers with `error` instead of running (it was never opened, or its opening was refused). */
  fail(errors: readonly GraphQLError[]): void {
    if (this.forget()) this.connection.send(stringifyMessage({ id: this.id, type: MessageType.Error, payload: errors.map((error) => error.toJSON()) }));
  }

  /** A query's or mutation's one result, then `complete`. */
  answer(result: ExecutionResult): void {
    if (!this.forget()) return;
    this.send(new EncodedResult(result));
    this.connection.send(stringifyMessage({ id: this.id, type: MessageType.Complete }));
  }

  /** Leaves the pipeline: the client completed it or the socket closed. */
  close(): void {
    this.forget();
    this.subscription?.close();
    this.subscription = null;
  }

  /** Removes it from its connection; false when it was no longer there. */
  private forget(): boolean {
    if (!this.current) return false;
    this.connection.operations!.delete(this.id);
    return true;
  }
}

type OperationMessage = { type: MessageType.Subscribe; id: string; payload: SubscribePayload } | { type: MessageType.Complete; id: string };

/** A `subscribe` or `complete` as graphql-ws would accept it; anything else (a malformed one too: 4400) is left to graphql-ws. */
function isOperationMessage(message: unknown): message is OperationMessage {
  const type = (message as { type?: unknown } | null)?.type;
  if (type !== MessageType.Subscribe && type !== MessageType.Complete) return false;
  try {
    validateMessage(message);
    return true;
  } catch {
    return false;
  }
}

/** GraphiQL sends its header editor's entries as connection params, so any letter case is accepted. */
function authorizationOf(connectionParams: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const key = Object.keys(connectionParams ?? {}).find((name) => name.toLowerCase() === 'authorization');
  const value = key === undefined ? undefined : connectionParams![key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * graphql-ws' protocol on the subscription pipeline. `serverOptions` are for graphql-ws'
 * `makeServer`, which keeps what is before and around the operations: `connection_init`
 * (identifying the caller from `connectionParams.authorization`; a bad token: 4403), ping, pong,
 * and any message of a connection not yet accepted (4401). An accepted connection's `subscribe`
 * and `complete` go to `receive` instead, one `Operation` each and nothing else: `makeServer`
 * would hold a suspended handler, its message, its arguments and three closures per operation
 * for as long as it lives (1.3 KiB each, a third of what a connection costs with two
 * operations). Its words are graphql-ws', word for word: a reused id closes the socket with
 * 4409, refusals are `error` messages, a query's result is `next` then `complete`, an ending
 * subscription `complete` (or `error`), a client's `complete` ends one silently. No socket here:
 * the adapter (`attachGraphQLWebSocket`) owns them, as graphql-ws' `use/ws.ts` does its own.
 */
export function graphqlWsProtocol<Connection extends ProtocolConnection>(options: GraphQLWsProtocolOptions<Connection>) {
  const { pipeline, identifyCaller, limits, takeTurnIfBusy } = options;
  const log = options.logger.child({ component: 'graphql-ws' });

  const serverOptions: ServerOptions<Record<string, unknown> | undefined, Connection> = {
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
      options.onAccepted(connection);
      return true;
    },
  };

  const subscribe = async (connection: Connection, { id, payload }: { id: string; payload: SubscribePayload }) => {
    const operations = (connection.operations ??= new Map());
    if (operations.has(id)) return connection.close(CloseCode.SubscriberAlreadyExists, `Subscriber for ${id} already exists`);
    const operation = new Operation(connection, id);
    operations.set(id, operation);
    if (operations.size > limits.maxSubscriptionsPerConnection) return operation.fail([tooManyOperations('connection', limits.maxSubscriptionsPerConnection)]);
    const prepared = await pipeline.prepare(payload, operation.caller);
    if (!operation.current) return;
    if (!('open' in prepared)) return operation.fail(prepared);
    const opened = await prepared.open(operation);
    if (!('close' in opened)) return operation.answer(opened);
    if (operation.current) operation.subscription = opened;
    else opened.close();
  };

  return {
    serverOptions,
    /**
     * Runs `message` when it is a valid `subscribe` or `complete` of an accepted connection and
     * resolves once it is handled (a subscription: once live); null when it is graphql-ws' to handle.
     */
    receive(connection: Connection, message: unknown): Promise<void> | null {
      if (!connection.caller || !isOperationMessage(message)) return null;
      if (message.type === MessageType.Subscribe) return subscribe(connection, message);
      connection.operations?.get(message.id)?.close();
      return Promise.resolve();
    },
    /** The socket closed: every operation of the connection leaves the pipeline. */
    closeAll(connection: Connection): void {
      // Each one deletes itself as it closes, which a Map's iteration allows.
      for (const operation of connection.operations?.values() ?? []) operation.close();
    },
  };
}
