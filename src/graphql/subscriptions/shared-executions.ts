import type { ExecutionResult } from 'graphql';
import type { SubscriptionField } from '../../observability/metrics';
import { EncodedResult, type OpenSubscription, type Subscriber } from './subscriber';

/** A group's subscription, once started: its source events and how one becomes the group's result. */
export interface StartedExecution {
  readonly events: AsyncIterable<unknown>;
  /** The group's selection executed against one event (once, for every member). */
  execute(event: unknown): Promise<ExecutionResult>;
}

/** What a subscriber asks for when it joins: the group it belongs to and how to start it. */
export interface SharedExecutionRequest {
  /** Everything the results depend on: field, the sharing declared by the field, document, operation name, variables. */
  readonly key: string;
  readonly field: SubscriptionField;
  /** The results are states (see `SubscriptionSharing`): each member is sent only what differs from its last. */
  readonly states: boolean;
  /**
   * Subscribes once for the whole group, with the first member's context. `audience.size` is
   * how many members receive the result of each execution (the resolvers count deliveries by
   * it). Called only for the first member; resolves with the result that refused the
   * subscription, if it was refused.
   */
  readonly start: (audience: { readonly size: number }) => Promise<StartedExecution | ExecutionResult>;
}

/** Decides, per event and member, whether the member receives it (see `DeliveryFilter`). */
export type MemberFilter = (field: SubscriptionField, event: unknown, subscriber: Subscriber) => boolean | Promise<boolean>;

interface Group {
  readonly key: string;
  readonly field: SubscriptionField;
  readonly members: Set<GroupMember>;
  /** How many members receive the event being executed. */
  readonly audience: { size: number };
  /** Resolves with an `ExecutionResult` when the subscription was refused (every member receives it). */
  ready: Promise<ExecutionResult | undefined>;
  iterator: AsyncIterator<unknown> | null;
  state: 'starting' | 'live' | 'ended';
  /** Members counted live here (all but one while live: the resolver counts its own stream). */
  counted: number;
  /** For results that are states: the last one sent, and the members who have not received it (null otherwise). */
  latest: EncodedResult | null;
  readonly behind: Set<GroupMember> | null;
}

/** One subscriber's membership: a small object with shared methods. */
class GroupMember implements OpenSubscription {
  constructor(
    readonly subscriber: Subscriber,
    private readonly group: Group,
    private readonly leave: (group: Group, member: GroupMember) => void,
  ) {}

  close(): void {
    this.leave(this.group, this);
  }
}

/** Results sent per turn of the event loop during a broadcast. */
const SENDS_PER_TURN = 500;

/**
 * Runs a subscription once per distinct request key instead of once per subscriber: one bus
 * subscription, one execution per event, one serialized result sent to every member.
 *
 * Guarantees: a member receives the group's results in the order of its events (so in publish
 * order); a member joining a live group is live at once, one joining a starting group when it
 * goes live; the group unsubscribes when its last member leaves. A group of states sends a
 * result only when it differs from the last one it sent, except to members who joined since.
 * A key that only one subscriber can have (operations that share nothing) makes a group of one.
 */
export function createSharedExecutions(options: {
  readonly onMembersLive: (field: SubscriptionField, delta: number) => void;
  readonly filter: MemberFilter | null;
}) {
  const { onMembersLive, filter } = options;
  const groups = new Map<string, Group>();

  const recount = (group: Group) => {
    const target = group.state === 'live' ? Math.max(0, group.members.size - 1) : 0;
    if (target !== group.counted) onMembersLive(group.field, target - group.counted);
    group.counted = target;
  };

  const end = (group: Group, error?: unknown) => {
    if (group.state === 'ended') return;
    group.state = 'ended';
    if (groups.get(group.key) === group) groups.delete(group.key);
    recount(group);
    const members = [...group.members];
    group.members.clear();
    for (const member of members) member.subscriber.end(error);
    void group.iterator?.return?.();
  };

  /** The members `filter` lets `event` through to; it is awaited only when it answered with a promise. */
  const receiversOf = async (group: Group, event: unknown, filter: MemberFilter): Promise<GroupMember[]> => {
    const members = [...group.members];
    const answers = members.map((member) => filter(group.field, event, member.subscriber));
    if (!answers.some((answer) => answer instanceof Promise)) return members.filter((_member, index) => answers[index] === true);
    const decided = await Promise.all(answers.map((answer) => Promise.resolve(answer)));
    // Those that left while it decided receive nothing more.
    return members.filter((member, index) => decided[index] && group.members.has(member));
  };

  /**
   * Sends one result to the members the group had when its event arrived (those the filter
   * lets through), yielding to the event loop every SENDS_PER_TURN sends so that a broadcast
   * to thousands never stalls everything else; the pump awaits it, so order holds.
   */
  const deliver = async (group: Group, started: StartedExecution, event: unknown) => {
    let members = filter ? await receiversOf(group, event, filter) : [...group.members];
    if (members.length === 0) return;
    group.audience.size = members.length;
    let result = new EncodedResult(await started.execute(event));
    const { behind } = group;
    if (behind && group.latest?.json === result.json) {
      result = group.latest;
      members = members.filter((member) => behind.has(member));
    } else if (behind) group.latest = result;
    let sent = 0;
    for (const member of members) {
      if (group.state === 'ended') return;
      // After a turn of the event loop, some may have left.
      if (sent >= SENDS_PER_TURN && !group.members.has(member)) continue;
      behind?.delete(member);
      member.subscriber.send(result);
      sent += 1;
      if (sent % SENDS_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  };

  const pump = async (group: Group, started: StartedExecution, iterator: AsyncIterator<unknown>) => {
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done || group.state === 'ended') break;
        await deliver(group, started, next.value);
      }
      end(group);
    } catch (error) {
      end(group, error);
    }
  };

  const startGroup = (request: SharedExecutionRequest): Group => {
    const group: Group = {
      key: request.key,
      field: request.field,
      members: new Set(),
      audience: { size: 0 },
      ready: Promise.resolve(undefined),
      iterator: null,
      state: 'starting',
      counted: 0,
      latest: null,
      behind: request.states ? new Set() : null,
    };
    group.ready = (async () => {
      let started: StartedExecution | ExecutionResult;
      try {
        started = await request.start(group.audience);
      } catch (error) {
        // Every member's `join` rejects with it: they are not ended besides.
        group.members.clear();
        end(group);
        throw error;
      }
      if (!('events' in started)) {
        group.members.clear(); // each member's `join` resolves with the refusal instead
        end(group);
        return started;
      }
      const iterator = started.events[Symbol.asyncIterator]();
      group.iterator = iterator;
      if (group.members.size === 0 || group.state === 'ended') {
        group.state = 'ended';
        if (groups.get(group.key) === group) groups.delete(group.key);
        void iterator.return?.();
        return undefined;
      }
      group.state = 'live';
      recount(group);
      void pump(group, started, iterator);
      return undefined;
    })();
    groups.set(request.key, group);
    return group;
  };

  const leave = (group: Group, member: GroupMember) => {
    if (!group.members.delete(member)) return;
    group.behind?.delete(member);
    if (group.members.size > 0 || group.state !== 'live') {
      recount(group);
      return;
    }
    end(group);
  };

  return {
    /** Joins (or starts) the request's group; resolves once live, or with the `ExecutionResult` that refused it. */
    async join(request: SharedExecutionRequest, subscriber: Subscriber): Promise<OpenSubscription | ExecutionResult> {
      const existing = groups.get(request.key);
      const group = existing && existing.state !== 'ended' ? existing : startGroup(request);
      const member = new GroupMember(subscriber, group, leave);
      group.members.add(member);
      group.behind?.add(member);
      recount(group);
      const refused = await group.ready;
      return refused ?? member;
    },
    /** Distinct shared executions running now (for tests and diagnostics). */
    groupCount: () => groups.size,
  };
}
