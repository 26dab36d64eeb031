import { GraphQLError, type ExecutionResult } from 'graphql';
import { CloseCode, MessageType, stringifyMessage, validateMessage, type SubscribePayload } from 'graphql-ws';
import type { Caller } from '../auth/caller';
import type { Limits } from '../config/config';
import type { SubscriptionPipeline } from '../graphql/subscriptions/pipeline';
import { EncodedResult, type OpenSubscription, type Subscriber } from '../graphql/subscriptions/subscriber';
import type { TakeTurnIfBusy } from '../lib/event-loop-turns';
import { nextFrame } from './next-frames';

/** What the operations write to: the adapter's socket. */
interface OperationSocket {
  readonly readyState: number;
  readonly OPEN: number;
  send(data: string): void;
  close(code: number, reason: string): void;
}

/** What the operations need of a connection: its socket, its caller once accepted, and its operations by id. */
export interface OperationsConnection {
  readonly socket: OperationSocket;
  caller?: Caller;
  bearerToken?: string;
  /** Its operations by id, made for the first one. */
  operations?: Map<string, { close(): void }>;
}

export interface GraphQLWsOperationsOptions<Connection extends OperationsConnection> {
  readonly pipeline: SubscriptionPipeline;
  readonly limits: Limits;
  /** Subscribes that come in bursts (a reconnect storm) wait for a turn of the event loop once it is due. */
  readonly takeTurnIfBusy: TakeTurnIfBusy;
  /** Writes a frame to the connection's socket (the adapter's slow-consumer bound applies). */
  readonly sendFrame: (connection: Connection, frame: Buffer) => void;
}

/** One operation of a connection, and the pipeline's subscriber for it: one small object with shared methods. */
class Operation<Connection extends OperationsConnection> implements Subscriber {
  subscription: OpenSubscription | null = null;

  constructor(
    private readonly connection: Connection,
    readonly id: string,
    private readonly sendFrame: (connection: Connection, frame: Buffer) => void,
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
    this.sendFrame(this.connection, result.frame(this.id, nextFrame));
  }

  /** The operation ended on the server's side: `complete`, or `error` with the error it ended with (as graphql-ws words it). */
  end(error?: unknown): void {
    if (error === undefined) {
      if (this.forget()) this.sendMessage({ id: this.id, type: MessageType.Complete });
      return;
    }
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- graphql-ws' own wording for whatever was thrown
    const original = error instanceof Error ? error : new Error(String(error));
    this.fail([new GraphQLError(original.message, { originalError: original })]);
  }

  /** Answers with `error` instead of running (it was never opened, or its opening was refused). */
  fail(errors: readonly GraphQLError[]): void {
    if (this.forget()) this.sendMessage({ id: this.id, type: MessageType.Error, payload: errors.map((error) => error.toJSON()) });
  }

  /** A query's or mutation's one result, then `complete`. */
  answer(result: ExecutionResult): void {
    if (!this.forget()) return;
    this.send(new EncodedResult(result));
    this.sendMessage({ id: this.id, type: MessageType.Complete });
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

  private sendMessage(message: Parameters<typeof stringifyMessage>[0]): void {
    const { socket } = this.connection;
    if (socket.readyState === socket.OPEN) socket.send(stringifyMessage(message));
  }
}

type OperationMessage = { type: MessageType.Subscribe; id: string; payload: SubscribePayload } | { type: MessageType.Complete; id: string };

/**
 * graphql-ws' `subscribe` and `complete` messages of an accepted connection, run on the
 * subscription pipeline with one `Operation` per operation and nothing else: graphql-ws'
 * `makeServer` holds a suspended handler, its message, its arguments and three closures per
 * operation for as long as it lives (1.3 KiB each, with two operations per connection a third
 * of what a connection costs). Its protocol, word for word: a reused id closes the socket with
 * 4409, refusals are `error` messages, a query's result is `next` then `complete`, an ending
 * subscription `complete` (or `error`), a client's `complete` ends one silently. Everything
 * else (connection_init, ping, pong, and any message of a connection not yet accepted, which
 * graphql-ws refuses with 4401) stays graphql-ws'.
 */
export function createGraphQLWsOperations<Connection extends OperationsConnection>(options: GraphQLWsOperationsOptions<Connection>) {
  const { pipeline, limits, takeTurnIfBusy, sendFrame } = options;

  const subscribe = async (connection: Connection, { id, payload }: { id: string; payload: SubscribePayload }) => {
    const operations = (connection.operations ??= new Map());
    if (operations.has(id)) return connection.socket.close(CloseCode.SubscriberAlreadyExists, `Subscriber for ${id} already exists`);
    const operation = new Operation(connection, id, sendFrame);
    operations.set(id, operation);
    if (operations.size > limits.maxSubscriptionsPerConnection) {
      const message = `A connection may run at most ${limits.maxSubscriptionsPerConnection} operations at once.`;
      return operation.fail([new GraphQLError(message, { extensions: { code: 'TOO_MANY_OPERATIONS' } })]);
    }
    const turn = takeTurnIfBusy();
    if (turn) await turn;
    if (!operation.current) return;
    const prepared = pipeline.prepare(payload, operation.caller);
    if (!('open' in prepared)) return operation.fail(prepared);
    const opened = await prepared.open(operation);
    if (!('close' in opened)) return operation.answer(opened);
    if (operation.current) operation.subscription = opened;
    else opened.close();
  };

  return {
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
      const operations = connection.operations;
      if (!operations) return;
      for (const operation of [...operations.values()]) operation.close();
    },
  };
}

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
