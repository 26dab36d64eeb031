import {
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  Kind,
  type DocumentNode,
  type SelectionSetNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  GraphQLError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { isAsyncIterable } from 'graphql-yoga';
import type { Caller } from '../../events/caller';
import type { NotificationHistory } from '../../history/notification-history';
import type { TakeTurnIfBusy } from '../../lib/event-loop-turns';
import type { Metrics, SubscriptionField } from '../../observability/metrics';
import type { EventBus } from '../../pubsub/event-bus';
import type { YogaServer } from '../create-yoga';
import type { DocumentCache, ValidatedDocument } from '../document-cache';
import { compileNotificationProjection, type NotificationProjection } from '../notification-projection';
import { createNotificationDeliveries } from './notification-deliveries';
import { NotificationSelection, type NotificationExecutor } from './notification-selection';
import { createSharedExecutions, type StartedExecution } from './shared-executions';
import type { OpenSubscription, OperationRequest, Subscriber } from './subscriber';
import type { SubscriptionSharing, SubscriptionSharings } from './subscription-sharing';
import { joinAsMember } from './group-members';
import { EVENT_EXECUTION } from './use-event-execution';

/** What an authorization hook is asked about: one subscriber's subscription, its arguments coerced. */
export interface SubscriptionAuthorizationRequest {
  readonly field: SubscriptionField;
  readonly args: Readonly<Record<string, unknown>>;
  readonly caller: Caller;
  /** The caller's own token, when the transport keeps it (`keepBearerToken`). */
  readonly bearerToken: string | undefined;
}

/**
 * Where decisions made outside the service (Laravel's channel authorization, issue 19) plug in.
 * Both run for WebSocket and SSE subscribers alike.
 */
export interface SubscriptionHooks {
  /**
   * Called once per subscriber when it opens, after the field's own checks, before it joins
   * anything: throw a GraphQLError (`graphQLError('FORBIDDEN' | 'UNAUTHENTICATED' |
   * 'UNAVAILABLE', …)`) to refuse it; the subscriber receives it as the operation's result.
   */
  readonly authorize?: (request: SubscriptionAuthorizationRequest) => Promise<void>;
  /**
   * For fields whose subscribers share an execution (`group` sharing): called per event and
   * member, before the event is executed; a member it answers false for does not receive that
   * event. It runs for every member of every event: answer from memory (a cache filled at
   * `authorize`). It may answer with a promise when it must wait for a decision it does not
   * hold yet (a cache entry that expired): the group's next event waits for it, so order holds,
   * and a synchronous answer costs nothing of the kind.
   */
  readonly deliverTo?: (field: SubscriptionField, event: unknown, subscriber: Subscriber) => boolean | Promise<boolean>;
}

/** An operation ready to run for any number of subscribers of the caller it was prepared for. */
export interface PreparedOperation {
  /** The validated document, for transports that must show it to their protocol library. */
  readonly validated: ValidatedDocument;
  readonly operationName: string | null | undefined;
  readonly variables: Record<string, unknown> | null | undefined;
  /** The subscription field, or null for a query or mutation (one result, then the end). */
  readonly field: SubscriptionField | null;
  /** Subscribers whose prepared operations have equal keys share work. */
  readonly shareKey: string;
  /**
   * Runs the operation for `subscriber`: resolves once it is live with the handle that closes
   * it, or with the one result it gets instead (a query's or mutation's result, or the errors
   * that refused the subscription — then nothing was opened and `subscriber` is not called).
   * Later results go to `subscriber.send`, the end to `subscriber.end`.
   */
  open(subscriber: Subscriber): Promise<OpenSubscription | ExecutionResult>;
}

export interface SubscriptionPipelineOptions {
  readonly yoga: YogaServer;
  /** Validated documents, shared with the HTTP mutation path. */
  readonly documents: DocumentCache;
  readonly sharing: SubscriptionSharings;
  readonly metrics: Metrics;
  /** Where `notification` subscriptions read from: the same bus and history as the resolver's. */
  readonly bus: EventBus;
  readonly history: NotificationHistory;
  readonly takeTurnIfBusy: TakeTurnIfBusy;
  readonly hooks?: SubscriptionHooks;
}

/**
 * Every root field the operation may select, through fragments and whatever the directives say
 * (validation allows one to run): the `authorize` hook is asked about each, so that no fragment
 * or `@include` hides a field from it.
 */
function rootFieldsOf(document: DocumentNode, selectionSet: SelectionSetNode, found: FieldNode[] = []): FieldNode[] {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) found.push(selection);
    else if (selection.kind === Kind.INLINE_FRAGMENT) rootFieldsOf(document, selection.selectionSet, found);
    else {
      const fragment = document.definitions.find(
        (definition) => definition.kind === Kind.FRAGMENT_DEFINITION && definition.name.value === selection.name.value,
      );
      // Validation refuses fragment cycles and unknown fragments.
      if (fragment?.kind === Kind.FRAGMENT_DEFINITION) rootFieldsOf(document, fragment.selectionSet, found);
    }
  }
  return found;
}

/** The root field when nothing can change what it selects (no fragment, no directive): only such operations share. */
function plainRootFieldOf(operation: OperationDefinitionNode): FieldNode | null {
  if ((operation.directives?.length ?? 0) > 0 || operation.selectionSet.selections.length !== 1) return null;
  const [selection] = operation.selectionSet.selections;
  return selection?.kind === Kind.FIELD && (selection.directives?.length ?? 0) === 0 ? selection : null;
}

/**
 * One subscription engine under every transport. A transport turns its protocol's message into
 * an `OperationRequest`, calls `prepare` with the caller it identified, `open`s the result with
 * a `Subscriber` of its own, and writes what that subscriber is sent; everything between is here,
 * once: document validation (through Yoga's plugins), argument coercion, authorization (the
 * field's and the `authorize` hook), the sharing each field declares (one subscription and one
 * execution per group; a user's channel shared with the replay-then-live handover per member),
 * delivery metrics and the `deliverTo` filter. Executions run through Yoga's enveloped
 * `subscribe`/`execute` (see `useEventExecution`), so error masking and codes are those of HTTP.
 */
export function createSubscriptionPipeline(options: SubscriptionPipelineOptions) {
  const { yoga, documents, sharing, metrics, hooks = {} } = options;
  const envelop = (request: OperationRequest, caller: Caller) => yoga.getEnveloped({ params: request, caller });

  const sharedExecutions = createSharedExecutions({
    onMembersLive: (field, delta) => metrics.subscriptionsChanged(field, delta),
    filter: hooks.deliverTo ?? null,
  });
  const notifications = createNotificationDeliveries({
    bus: options.bus,
    history: options.history,
    onLive: (delta) => metrics.subscriptionsChanged('notification', delta),
    takeTurnIfBusy: options.takeTurnIfBusy,
  });

  /** The arguments of `field` coerced from the variables, or null when they do not coerce (the execution reports it). */
  const argumentsOf = (validated: ValidatedDocument, operation: OperationDefinitionNode, field: FieldNode, variables: OperationRequest['variables']) => {
    const definition = validated.schema.getSubscriptionType()?.getFields()[field.name.value];
    const coerced = getVariableValues(validated.schema, operation.variableDefinitions ?? [], variables ?? {});
    return definition && !coerced.errors ? getArgumentValues(definition, field, coerced.coerced) : null;
  };

  /**
   * Runs the `authorize` hook, if any, for each root field the operation may select (one,
   * unless fragments and directives leave it open): the errors it refused with, else null.
   * Fields whose arguments do not coerce are not asked about: their execution fails.
   */
  const refusedByHook = async (validated: ValidatedDocument, operation: OperationDefinitionNode, request: OperationRequest, subscriber: Subscriber) => {
    if (!hooks.authorize) return null;
    for (const field of rootFieldsOf(validated.document, operation.selectionSet)) {
      const args = argumentsOf(validated, operation, field, request.variables);
      if (args === null) continue;
      try {
        const name = field.name.value as SubscriptionField;
        await hooks.authorize({ field: name, args, caller: subscriber.caller, bearerToken: subscriber.bearerToken });
      } catch (error) {
        if (error instanceof GraphQLError) return { errors: [error] } satisfies ExecutionResult;
        throw error;
      }
    }
    return null;
  };

  /** One subscription and one execution per event for every subscriber with this key (see `createSharedExecutions`). */
  const startGroup = (request: OperationRequest, caller: Caller, validated: ValidatedDocument) => async (audience: { readonly size: number }) => {
    const enveloped = envelop(request, caller);
    const contextValue = Object.assign(await enveloped.contextFactory(), { fanOut: audience, [EVENT_EXECUTION]: true });
    const args: ExecutionArgs = {
      schema: enveloped.schema as GraphQLSchema,
      document: validated.document,
      operationName: request.operationName,
      variableValues: request.variables,
      contextValue,
    };
    const events = (await enveloped.subscribe(args)) as AsyncIterable<unknown> | ExecutionResult;
    if (!isAsyncIterable(events)) return events;
    const started: StartedExecution = { events, execute: async (event) => (await enveloped.execute({ ...args, rootValue: event })) as ExecutionResult };
    return started;
  };

  /** Subscriptions that run their own subscription through Yoga, each key its own group. */
  let ownKeys = 0;
  const ownKey = (field: string) => `${field}\u0000own\u0000${(ownKeys += 1)}`;
  const groupOperation = (
    request: OperationRequest,
    caller: Caller,
    validated: ValidatedDocument,
    root: FieldNode | undefined,
    shareKey: string | null,
    declared: Extract<SubscriptionSharing, { kind: 'group' }> | null,
  ) => {
    const field = (root?.name.value ?? '') as SubscriptionField;
    const key = shareKey ?? ownKey(field);
    const operation = getOperationAST(validated.document, request.operationName)!;
    const membership = declared?.membership;
    const join = (subscriber: Subscriber) =>
      sharedExecutions.join({ key, field, states: declared?.states ?? false, start: startGroup(request, caller, validated) }, subscriber);
    return {
      validated,
      operationName: request.operationName,
      variables: request.variables,
      field,
      shareKey: key,
      async open(subscriber: Subscriber): Promise<OpenSubscription | ExecutionResult> {
        const refused = await refusedByHook(validated, operation, request, subscriber);
        if (refused) return refused;
        const args = membership && root ? argumentsOf(validated, operation, root, request.variables) : null;
        // Arguments that do not coerce fail the execution: the member would never be.
        if (!membership || !args) return join(subscriber);
        return joinAsMember(membership, { caller: subscriber.caller, args }, subscriber, join);
      },
    } satisfies PreparedOperation;
  };

  const executor: NotificationExecutor = { metrics, envelop };
  const projections = new WeakMap<FieldNode, NotificationProjection | null>();
  /** `notification` subscribers of one user: the user's channel shared, the handover per member. */
  const userOperation = (
    request: OperationRequest,
    caller: Caller,
    validated: ValidatedDocument,
    operation: OperationDefinitionNode,
    root: FieldNode,
    checked: { readonly userId: string; readonly after: string | null },
  ): PreparedOperation => {
    if (!projections.has(root)) projections.set(root, compileNotificationProjection(validated.schema, root));
    const projection = projections.get(root) ?? null;
    const selection = new NotificationSelection(checked, request, caller, validated, projection, executor);
    return {
      validated,
      operationName: request.operationName,
      variables: request.variables,
      field: 'notification',
      shareKey: `notification\u0000${checked.userId}\u0000${selection.executionKey}`,
      async open(subscriber) {
        const refused = await refusedByHook(validated, operation, request, subscriber);
        if (refused) return refused;
        // When the bus or the history failed, the subscriber's own run reports it in the resolver's words.
        const joined = await notifications.join(selection, subscriber);
        return (
          joined ??
          sharedExecutions.join(
            { key: ownKey('notification'), field: 'notification', states: false, start: startGroup(request, caller, validated) },
            subscriber,
          )
        );
      },
    };
  };

  return {
    /**
     * Validates `request` for `caller` and prepares it; the errors that refuse it otherwise
     * (a document that does not parse or validate, or passes a query limit). Subscribes that
     * come in bursts (a reconnect storm, on any transport) first wait for a turn of the event
     * loop once it is due.
     */
    async prepare(request: OperationRequest, caller: Caller): Promise<PreparedOperation | readonly GraphQLError[]> {
      const turn = options.takeTurnIfBusy();
      if (turn) await turn;
      const validated = documents.validate(request.query, () => envelop(request, caller));
      if (!('document' in validated)) return validated;
      const operation = getOperationAST(validated.document, request.operationName);
      if (operation?.operation !== 'subscription') return singleResult(request, caller, validated);
      const root = plainRootFieldOf(operation);
      // A subscription selects one root field, fragments or not (validation sees to it).
      const selected = root ?? rootFieldsOf(validated.document, operation.selectionSet)[0];
      const field = (selected?.name.value ?? '') as SubscriptionField;
      const declared = Object.hasOwn(sharing, field) ? sharing[field] : null;
      const group = declared?.kind === 'group' ? declared : null;
      if (root && group) {
        const key = [field, group.groupOf(caller), request.operationName ?? '', JSON.stringify(request.variables ?? {}), validated.query].join('\u0000');
        return groupOperation(request, caller, validated, root, key, group);
      }
      if (root && declared?.kind === 'user') {
        const args = argumentsOf(validated, operation, root, request.variables);
        let checked: { userId: string; after: string | null } | null = null;
        try {
          checked = args && declared.check(caller, args);
        } catch {
          // Refused: the resolver refuses it again, in its own words.
        }
        if (args && checked) return userOperation(request, caller, validated, operation, root, checked);
      }
      return groupOperation(request, caller, validated, selected, null, group);
    },
    /** The query text of the validated document equal to `query`, if one is cached: one string for all its operations. */
    sharedQueryText: (query: string) => documents.get(query)?.query ?? query,
    /** Null while fewer than `limit` notification deliveries wait in this process, else a promise that resolves once they do. */
    whenDeliveriesBelow: (limit: number) => notifications.whenBacklogBelow(limit),
    /** Distinct shared executions running now (for tests and diagnostics). */
    sharedExecutionCount: () => sharedExecutions.groupCount(),
  };

  /** A query or mutation: one execution for its one subscriber, through Yoga's pipeline. */
  function singleResult(request: OperationRequest, caller: Caller, validated: ValidatedDocument): PreparedOperation {
    return {
      validated,
      operationName: request.operationName,
      variables: request.variables,
      field: null,
      shareKey: '',
      async open() {
        const enveloped = envelop(request, caller);
        const args = {
          schema: enveloped.schema as GraphQLSchema,
          document: validated.document,
          operationName: request.operationName,
          variableValues: request.variables,
        };
        return (await enveloped.execute({ ...args, contextValue: await enveloped.contextFactory() })) as ExecutionResult;
      },
    };
  }
}

export type SubscriptionPipeline = ReturnType<typeof createSubscriptionPipeline>;
