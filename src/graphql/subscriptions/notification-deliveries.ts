import type { ExecutionResult } from 'graphql';
import type { NotificationEvent } from '../../events/payloads';
import { notificationTopic } from '../../events/topics';
import type { NotificationHistory } from '../../history/notification-history';
import { handoverPosition, isLiveAfter } from '../../history/replay-then-live';
import type { TakeTurnIfBusy } from '../../lib/event-loop-turns';
import type { EventBus, Unsubscribe } from '../../pubsub/event-bus';
import { subscribeTopic } from '../../pubsub/event-stream';
import { EncodedResult, type OpenSubscription, type Subscriber } from './subscriber';

/** One `notification` subscription, already authorized, as the pipeline prepared it. */
export interface NotificationRequest {
  readonly userId: string;
  /** Replay from after this position first; null: live only. */
  readonly after: string | null;
  /** A user's requests with equal keys share one execution per event (document, operation name, variables). */
  readonly executionKey: string;
  /**
   * Runs the request's selection against one event, for `subscribers` members at once (they
   * are counted as deliveries); a result built without an execution is answered at once.
   */
  execute(event: NotificationEvent, subscribers: number): ExecutionResult | Promise<ExecutionResult>;
}

export interface NotificationDeliveriesOptions {
  readonly bus: EventBus;
  readonly history: NotificationHistory;
  /** Live-subscription bookkeeping, +1 when a member goes live and -1 when a live member leaves. */
  readonly onLive: (delta: 1 | -1) => void;
  /**
   * Asked before each job: a burst (a Redis read of a few hundred events, as a batch publish
   * makes) is delivered in slices, with the event loop's turns between them.
   */
  readonly takeTurnIfBusy: TakeTurnIfBusy;
}

/** A member's state: one small object per subscriber, with shared methods. */
class MemberState implements OpenSubscription {
  phase: 'replaying' | 'live' | 'left';
  /** Live events that arrived while the member's history was being read or replayed (made when the first does). */
  buffered: NotificationEvent[] | null = null;
  lastReplayed: string | null = null;
  counted = false;

  constructor(
    readonly request: NotificationRequest,
    readonly subscriber: Subscriber,
    readonly group: UserGroup,
    /** Events numbered up to this were dispatched before the member joined: not its to receive. */
    readonly joinedAt: number,
    private readonly leave: (group: UserGroup, state: MemberState) => void,
  ) {
    this.phase = request.after === null ? 'live' : 'replaying';
  }

  close(): void {
    this.leave(this.group, this);
  }
}

type Job = { readonly event: NotificationEvent; readonly seq: number } | { readonly replayFor: MemberState; readonly events: NotificationEvent[] };

interface UserGroup {
  readonly userId: string;
  readonly members: Set<MemberState>;
  /** The process's bus subscription of the user's channel (shared with any other reader of it). */
  live: Promise<Unsubscribe>;
  /** Events dispatched so far. */
  seq: number;
  readonly queue: Job[];
  /** In the ready queue (it has jobs waiting). */
  scheduled: boolean;
}

/**
 * A user's `notification` subscriptions in this process, over any transport, without an event
 * stream, a GraphQL context or graphql-js iterators of their own: one queue per user, fed by
 * the user's one bus subscription, and per event one execution per distinct (document,
 * operation name, variables) among that user's subscriptions, serialized once and handed to
 * each subscriber.
 *
 * Guarantees for each member (the replay-then-live handover of `openNotificationStream`): with `after`, the user's
 * channel is live before the history is read; the history after `after` is sent first, oldest
 * first, then live events after the last replayed position (no gap, no duplicate); every
 * member receives events in the bus's order; a member receives nothing dispatched before it
 * joined. Events of one user are handled one at a time, so order holds across the awaits.
 */
export function createNotificationDeliveries(options: NotificationDeliveriesOptions) {
  const { bus, history, onLive, takeTurnIfBusy } = options;
  const groups = new Map<string, UserGroup>();

  const leave = (group: UserGroup, state: MemberState) => {
    if (state.phase === 'left') return;
    state.phase = 'left';
    state.buffered = null;
    group.members.delete(state);
    if (state.counted) onLive(-1);
    state.counted = false;
    if (group.members.size > 0) return;
    if (groups.get(group.userId) === group) groups.delete(group.userId);
    void group.live.then(
      (unsubscribe) => unsubscribe(),
      () => undefined,
    );
  };

  /** Ends the members of a failed execution. */
  const fail = (group: UserGroup, sharing: readonly MemberState[], error: unknown) => {
    for (const state of sharing) {
      leave(group, state);
      state.subscriber.end(error);
    }
  };

  /** Serializes a result once and hands it to every member still there. */
  const hand = (group: UserGroup, sharing: readonly MemberState[], executed: ExecutionResult) => {
    let result: EncodedResult;
    try {
      result = new EncodedResult(executed);
    } catch (error) {
      fail(group, sharing, error);
      return;
    }
    for (const state of sharing) {
      if (state.phase !== 'left') state.subscriber.send(result);
    }
  };

  /** The members' execution of the event, or null once they were ended because it failed. */
  const executeFor = (
    group: UserGroup,
    sharing: readonly MemberState[],
    event: NotificationEvent,
  ): ExecutionResult | Promise<ExecutionResult | null> | null => {
    try {
      const executed = sharing[0]!.request.execute(event, sharing.length);
      if (!(executed instanceof Promise)) return executed;
      return executed.catch((error: unknown) => {
        fail(group, sharing, error);
        return null;
      });
    } catch (error) {
      fail(group, sharing, error);
      return null;
    }
  };

  /**
   * One execution per distinct key among `targets`, one serialized result for all that share
   * it. Without a promise while every result is built at once (a projected selection: every
   * live event of a plain `notification` subscription), so an event costs no turn of the
   * microtask queue; from the first execution that must be awaited on, the rest follow it.
   */
  const deliver = (group: UserGroup, targets: MemberState[], event: NotificationEvent): Promise<void> | undefined => {
    if (targets.length === 1) return deliverFrom(group, [targets], 0, event);
    const byKey = new Map<string, MemberState[]>();
    for (const state of targets) {
      const key = state.request.executionKey;
      const same = byKey.get(key);
      if (same) same.push(state);
      else byKey.set(key, [state]);
    }
    return deliverFrom(group, [...byKey.values()], 0, event);
  };

  /** The sharings from `from` on, in order. */
  const deliverFrom = (group: UserGroup, sharings: readonly MemberState[][], from: number, event: NotificationEvent): Promise<void> | undefined => {
    for (let index = from; index < sharings.length; index += 1) {
      const executed = executeFor(group, sharings[index]!, event);
      if (executed instanceof Promise) return handWhenExecuted(group, sharings, index, executed, event);
      if (executed) hand(group, sharings[index]!, executed);
    }
    return undefined;
  };

  const handWhenExecuted = async (
    group: UserGroup,
    sharings: readonly MemberState[][],
    index: number,
    pending: Promise<ExecutionResult | null>,
    event: NotificationEvent,
  ) => {
    const executed = await pending;
    if (executed) hand(group, sharings[index]!, executed);
    await deliverFrom(group, sharings, index + 1, event);
  };

  /** A job; a promise only when it has to wait (a replay, an execution to await). */
  const run = (group: UserGroup, job: Job): Promise<void> | undefined => {
    if (!('event' in job)) return replay(group, job.replayFor, job.events);
    const targets: MemberState[] = [];
    for (const state of group.members) {
      if (job.seq <= state.joinedAt) continue;
      if (state.phase === 'replaying') (state.buffered ??= []).push(job.event);
      else if (state.lastReplayed === null || isLiveAfter(job.event, state.lastReplayed)) targets.push(state);
    }
    return targets.length > 0 ? deliver(group, targets, job.event) : undefined;
  };

  /**
   * The replay-then-live handover (its rule is `handoverPosition` and `isLiveAfter`): the
   * member's history, then what arrived live meanwhile and was not in it.
   */
  const replay = async (group: UserGroup, state: MemberState, events: readonly NotificationEvent[]) => {
    state.lastReplayed = handoverPosition(events, state.request.after!);
    for (const event of events) if (state.phase !== 'left') await deliver(group, [state], event);
    for (;;) {
      const event = state.buffered?.shift();
      if (!event || state.phase === 'left') break;
      if (isLiveAfter(event, state.lastReplayed)) await deliver(group, [state], event);
    }
    if (state.phase === 'replaying') state.phase = 'live';
  };

  /** Users with jobs waiting, in the order they got them. */
  const ready: UserGroup[] = [];
  let pumping = false;
  /** Jobs queued and not started, and who waits for that number to drop below their limit. */
  let backlog = 0;
  const backlogWaiters: Array<{ readonly limit: number; resolve(): void }> = [];
  const jobStarted = () => {
    backlog -= 1;
    while (backlogWaiters.length > 0 && backlog < backlogWaiters[0]!.limit) backlogWaiters.shift()!.resolve();
  };

  /**
   * Runs the waiting jobs one at a time, a job of each ready user in turn: so a user's events
   * keep their order across the awaits, and the event loop gets a turn between slices.
   */
  const pump = async () => {
    if (pumping) return;
    pumping = true;
    try {
      for (let group = ready.shift(); group; group = ready.shift()) {
        const job = group.queue.shift();
        if (group.queue.length > 0) ready.push(group);
        else group.scheduled = false;
        if (!job) continue;
        const turn = takeTurnIfBusy();
        if (turn) await turn;
        jobStarted();
        const running = run(group, job);
        if (running) await running;
      }
    } finally {
      pumping = false;
    }
  };

  const enqueue = (group: UserGroup, job: Job) => {
    backlog += 1;
    group.queue.push(job);
    if (!group.scheduled) {
      group.scheduled = true;
      ready.push(group);
    }
    void pump();
  };

  const groupOf = (userId: string): UserGroup => {
    const existing = groups.get(userId);
    if (existing) return existing;
    const group: UserGroup = { userId, members: new Set(), live: Promise.resolve(async () => {}), seq: 0, queue: [], scheduled: false };
    group.live = subscribeTopic(bus, notificationTopic(userId), (event) => {
      group.seq += 1;
      enqueue(group, { event, seq: group.seq });
    });
    // A subscription the bus refused is forgotten, so that the next member tries again.
    group.live.catch(() => {
      if (groups.get(userId) === group) groups.delete(userId);
    });
    groups.set(userId, group);
    return group;
  };

  return {
    /**
     * Makes the request's subscriber a member, live once its user's channel is confirmed and
     * its history read (when it has an `after`). Resolves with null when the bus or the history
     * failed: the caller then takes the ordinary path, which reports the error.
     */
    async join(request: NotificationRequest, subscriber: Subscriber): Promise<OpenSubscription | null> {
      const group = groupOf(request.userId);
      const state = new MemberState(request, subscriber, group, group.seq, leave);
      group.members.add(state);
      try {
        await group.live;
        if (request.after !== null) {
          const events = await history.readAfter(request.userId, request.after);
          if (state.phase !== 'left') enqueue(group, { replayFor: state, events });
        }
      } catch {
        leave(group, state);
        return null;
      }
      if (state.phase !== 'left') {
        state.counted = true;
        onLive(1);
      }
      return state;
    },
    /**
     * Null while fewer than `limit` deliveries wait in this process, else a promise that
     * resolves once they do: for publishers to wait on, so that an overloaded process slows
     * down the calls that feed it rather than queue without bound.
     */
    whenBacklogBelow(limit: number): Promise<void> | null {
      if (backlog < limit) return null;
      return new Promise((resolve) => backlogWaiters.push({ limit, resolve }));
    },
  };
}
