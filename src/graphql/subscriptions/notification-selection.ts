import type { ExecutionResult, GraphQLSchema } from 'graphql';
import type { YogaServerInstance } from 'graphql-yoga';
import type { Caller } from '../../events/caller';
import type { NotificationEvent } from '../../events/payloads';
import type { Metrics } from '../../observability/metrics';
import type { ValidatedDocument } from '../document-cache';
import type { NotificationProjection } from '../notification-projection';
import type { NotificationRequest } from './notification-deliveries';
import type { OperationRequest } from './subscriber';
import { EVENT_EXECUTION } from './use-event-execution';

/** What every `notification` selection executes with. */
export interface NotificationExecutor {
  readonly metrics: Metrics;
  readonly envelop: (request: OperationRequest, caller: Caller) => ReturnType<YogaServerInstance<object, object>['getEnveloped']>;
}

/**
 * One `notification` subscriber's selection, as its user's deliveries keep it for as long as
 * it lives: one object with shared methods, holding nothing per event.
 */
export class NotificationSelection implements NotificationRequest {
  readonly userId: string;
  readonly after: string | null;

  constructor(
    checked: { readonly userId: string; readonly after: string | null },
    private readonly request: OperationRequest,
    private readonly caller: Caller,
    private readonly validated: ValidatedDocument,
    /** Builds the result from the event without an execution, when the selection allows. */
    private readonly projection: NotificationProjection | null,
    private readonly executor: NotificationExecutor,
  ) {
    this.userId = checked.userId;
    this.after = checked.after;
  }

  /** Computed when asked (only when several of a user's subscriptions receive one event), not kept. */
  get executionKey(): string {
    return [this.request.operationName ?? '', JSON.stringify(this.request.variables ?? {}), this.validated.query].join('\u0000');
  }

  execute(event: NotificationEvent, subscribers: number): ExecutionResult | Promise<ExecutionResult> {
    const projected = this.projection?.(event);
    if (!projected) return this.executeSelection(event, subscribers);
    // What the field's resolver records when the selection set is executed.
    this.executor.metrics.eventDelivered('notification', Date.parse(event.createdAt), subscribers);
    return projected;
  }

  private async executeSelection(event: NotificationEvent, subscribers: number): Promise<ExecutionResult> {
    // A fresh context per execution, as an HTTP request has: none is kept per subscription.
    const { request } = this;
    const enveloped = this.executor.envelop(request, this.caller);
    const contextValue = Object.assign(await enveloped.contextFactory(), { fanOut: { size: subscribers }, [EVENT_EXECUTION]: true });
    const args = {
      schema: enveloped.schema as GraphQLSchema,
      document: this.validated.document,
      operationName: request.operationName,
      variableValues: request.variables,
    };
    return (await enveloped.execute({ ...args, rootValue: event, contextValue })) as ExecutionResult;
  }
}
