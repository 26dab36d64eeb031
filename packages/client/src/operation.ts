import type { FormattedExecutionResult, GraphQLFormattedError } from 'graphql';
import type { Client as GraphQLWsClient } from 'graphql-ws';

/** What an operation's results go to; graphql-ws' `Sink`, without its close events. */
export interface Sink<Data> {
  next(result: FormattedExecutionResult<Data>): void;
  /** GraphQL errors that ended the operation (e.g. `FORBIDDEN`), or an Error. Never a lost connection: that is retried. */
  error(error: readonly GraphQLFormattedError[] | Error): void;
  complete(): void;
}

/** A connection of the client: one graphql-ws client, numbered in the order they were opened. */
export interface Connection {
  readonly generation: number;
  readonly ws: GraphQLWsClient;
}

const RECENT_KEYS = 500;

/**
 * One operation the application asked for, run on every connection the client opens for it:
 * after a reconnect, and on two connections at once while a new token takes over from one about
 * to expire. What it delivers stays one stream:
 * - a `notification` subscription resumes: every (re)subscribe sends the last id seen as `after`;
 * - once a newer connection has delivered a result, older ones are ignored (its subscription is
 *   live, so it receives everything from then on);
 * - an event already delivered (same `id`, or same `userId` and `at` for typing) is not again.
 */
export class Operation<Data = unknown> {
  private readonly rootField: string | undefined;
  private readonly running = new Map<Connection, () => void>();
  private readonly recentKeys = new Set<string>();
  private newestGeneration = 0;
  private lastNotificationId: string | undefined;

  constructor(
    private readonly query: string,
    private readonly variables: Record<string, unknown> | undefined,
    private readonly operationName: string | undefined,
    private readonly sink: Sink<Data>,
    rootField: string | undefined,
    /** Called once the operation is over (completed, failed, or stopped). */
    private readonly onEnd: (operation: Operation<Data>) => void,
  ) {
    this.rootField = rootField;
  }

  run(connection: Connection): void {
    if (this.running.has(connection)) return;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- read inside the sink's methods, whose `this` is the sink
    const operation = this;
    const stop = connection.ws.subscribe<Data>(
      {
        query: this.query,
        operationName: this.operationName,
        // graphql-ws reads the payload when it sends it: the last id seen by then.
        get variables() {
          return operation.resumeVariables();
        },
      },
      {
        next: (result) => this.deliver(connection, result as FormattedExecutionResult<Data>),
        error: (error) => {
          if (!this.running.has(connection) || isLikeCloseEvent(error)) return this.running.delete(connection); // the client reconnects
          this.end();
          this.sink.error(Array.isArray(error) ? error : error instanceof Error ? error : new Error(String(error)));
        },
        complete: () => {
          if (!this.running.delete(connection)) return; // stopped by us
          this.end();
          this.sink.complete();
        },
      },
    );
    this.running.set(connection, stop);
  }

  /** Stops it on this connection only (one being retired or gone). */
  leave(connection: Connection): void {
    const stop = this.running.get(connection);
    this.running.delete(connection);
    stop?.();
  }

  /** Stops it everywhere, without telling the sink: the application asked for it. */
  stop(): void {
    const stops = [...this.running.values()];
    this.end();
    for (const stop of stops) stop();
  }

  private end(): void {
    this.running.clear();
    this.onEnd(this);
  }

  private resumeVariables(): Record<string, unknown> | undefined {
    if (this.rootField !== 'notification' || this.lastNotificationId === undefined) return this.variables;
    return { ...this.variables, after: this.lastNotificationId };
  }

  private deliver(connection: Connection, result: FormattedExecutionResult<Data>): void {
    if (connection.generation < this.newestGeneration) return;
    this.newestGeneration = connection.generation;
    const event = this.rootField === undefined ? undefined : (result.data as Record<string, unknown> | null | undefined)?.[this.rootField];
    const key = keyOf(event);
    if (key !== undefined) {
      if (this.recentKeys.has(key)) return;
      this.recentKeys.add(key);
      if (this.recentKeys.size > RECENT_KEYS) this.recentKeys.delete(this.recentKeys.values().next().value!);
    }
    if (this.rootField === 'notification' && typeof (event as { id?: unknown })?.id === 'string') this.lastNotificationId = (event as { id: string }).id;
    this.sink.next(result);
  }
}

/** What tells an event from another: its `id`; a typing event has none, so its user and time. */
function keyOf(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const { id, userId, at } = event as { id?: unknown; userId?: unknown; at?: unknown };
  if (typeof id === 'string') return `id:${id}`;
  if (typeof userId === 'string' && typeof at === 'string') return `typing:${userId}@${at}`;
  return undefined;
}

export function isLikeCloseEvent(value: unknown): value is { code: number; reason: string } {
  return typeof value === 'object' && value !== null && 'code' in value && 'reason' in value;
}
