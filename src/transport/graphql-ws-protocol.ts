import type { ExecutionArgs } from 'graphql';
import type { ServerOptions } from 'graphql-ws';
import { bearerTokenOf, type IdentifyCaller } from '../auth/identify-caller';
import type { Limits } from '../config/config';
import type { Caller } from '../events/caller';
import { tooManyOperations } from '../graphql/errors';
import type { PreparedOperation, SubscriptionPipeline } from '../graphql/subscriptions/pipeline';
import type { EncodedResult, OpenSubscription, Subscriber } from '../graphql/subscriptions/subscriber';
import type { TakeTurnIfBusy } from '../lib/event-loop-turns';
import type { Logger } from '../observability/logger';
import { BypassedIterator } from './bypassed-iterator';

/** What the protocol keeps per connection (graphql-ws' `extra`); the adapter's object, one per socket. */
export interface ProtocolConnection {
  caller?: Caller;
  bearerToken?: string;
  /** Writes one frame to the socket (the adapter's slow-consumer bound applies). */
  sendFrame(frame: Buffer): void;
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
function nextFrame(resultJson: string, operationId: string): Buffer {
  return Buffer.from(`{"id":${JSON.stringify(operationId)},"type":"next","payload":${resultJson}}`);
}

/** The rootValue of an operation until graphql-ws runs it. */
interface PreparedRoot {
  readonly prepared: PreparedOperation;
  readonly connection: ProtocolConnection;
  readonly id: string;
}

/** One operation: the pipeline's subscriber and the iterator graphql-ws holds (results bypass it). */
class Operation extends BypassedIterator implements Subscriber {
  subscription: OpenSubscription | null = null;

  constructor(
    private readonly connection: ProtocolConnection,
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
    this.connection.sendFrame(result.frame(this.id, nextFrame));
  }

  end(error?: unknown): void {
    this.finish(error);
  }

  protected onReturn(): void {
    this.subscription?.close();
    this.subscription = null;
  }
}

/** GraphiQL sends its header editor's entries as connection params, so any letter case is accepted. */
function authorizationOf(connectionParams: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const key = Object.keys(connectionParams ?? {}).find((name) => name.toLowerCase() === 'authorization');
  const value = key === undefined ? undefined : connectionParams![key];
  return typeof value === 'string' ? value : undefined;
}

/** Opens a prepared operation: its iterator for graphql-ws, or its one result. */
async function run(args: ExecutionArgs) {
  const { prepared, connection, id } = args.rootValue as PreparedRoot;
  args.rootValue = undefined; // graphql-ws keeps the args while the operation lives
  const operation = new Operation(connection, id);
  const opened = await prepared.open(operation);
  if (!('close' in opened)) return opened;
  operation.subscription = opened;
  return operation;
}

/**
 * graphql-ws' protocol on the subscription pipeline, for `makeServer`: `connection_init`
 * identifies the caller from `connectionParams.authorization` (a bad token: 4403), each
 * `subscribe` is prepared by the pipeline and opened with an `Operation` as its subscriber,
 * whose results go out as `next` frames built once per operation id. No socket here: the
 * adapter (`attachGraphQLWebSocket`) owns them, as graphql-ws' `use/ws.ts` does its own.
 */
export function graphqlWsProtocol<Connection extends ProtocolConnection>(
  options: GraphQLWsProtocolOptions<Connection>,
): ServerOptions<Record<string, unknown> | undefined, Connection> {
  const { pipeline, identifyCaller, limits, takeTurnIfBusy } = options;
  const log = options.logger.child({ component: 'graphql-ws' });
  return {
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
    async onSubscribe(ctx, id, payload) {
      // graphql-ws has already registered this operation in ctx.subscriptions.
      if (Object.keys(ctx.subscriptions).length > limits.maxSubscriptionsPerConnection)
        return [tooManyOperations('connection', limits.maxSubscriptionsPerConnection)];
      const prepared = await pipeline.prepare(payload, ctx.extra.caller!);
      if (!('open' in prepared)) return [...prepared];
      const { validated, operationName, variables } = prepared;
      const rootValue: PreparedRoot = { prepared, connection: ctx.extra, id };
      return { schema: validated.schema, document: validated.document, operationName, variableValues: variables, contextValue: null, rootValue };
    },
    execute: run as never,
    subscribe: run as never,
  };
}
