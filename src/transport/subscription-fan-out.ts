import type { ExecutionResult } from 'graphql';
import type { SubscriptionField } from '../observability/metrics';
import { BypassedIterator } from './bypassed-iterator';
import { nextFrames } from './next-frames';

/** One socket's operation that reads a shared execution. */
export interface FanOutMember<Socket> {
  readonly socket: Socket;
  /** The graphql-ws operation id, as the client chose it. */
  readonly operationId: string;
}

/** What a subscriber asks for when it joins: the group it belongs to and how to start it. */
export interface SharedSubscriptionRequest<Socket> {
  /** Everything the execution depends on: field, visibility class, document, operation name, variables. */
  readonly key: string;
  readonly field: SubscriptionField;
  readonly member: FanOutMember<Socket>;
  /**
   * Subscribes once for the whole group (the enveloped `subscribe`, with the first member's
   * context and `fanOut` set to the group's members). Called only for the first member.
   */
  start: ((members: ReadonlySet<unknown>) => Promise<AsyncIterable<ExecutionResult> | ExecutionResult>) | null;
}

export interface FanOutOptions<Socket> {
  /** Sends one frame to one socket (and applies the slow-consumer bound). */
  readonly send: (socket: Socket, frame: Buffer) => void;
  /** Live-subscription bookkeeping: the group's own execution is counted by its resolver, the other members here. */
  readonly onMembersLive: (field: SubscriptionField, delta: number) => void;
}

interface SharedExecution<Socket> {
  readonly key: string;
  readonly field: SubscriptionField;
  readonly members: Set<GroupMember<Socket>>;
  /** Resolves with an `ExecutionResult` when the subscription was refused (every member receives it). */
  ready: Promise<ExecutionResult | undefined>;
  iterator: AsyncIterator<ExecutionResult> | null;
  state: 'starting' | 'live' | 'ended';
  /** Members counted live here (all but one while live). */
  counted: number;
}

/** A member of a group, which is also the iterator graphql-ws holds for its operation. */
class GroupMember<Socket> extends BypassedIterator implements FanOutMember<Socket> {
  constructor(
    readonly socket: Socket,
    readonly operationId: string,
    private readonly group: SharedExecution<Socket>,
    private readonly leave: (group: SharedExecution<Socket>, member: GroupMember<Socket>) => void,
  ) {
    super();
  }

  protected onReturn(): void {
    this.leave(this.group, this);
  }
}

/**
 * Runs a subscription's execution once per distinct (document, operation name, variables,
 * visibility class) instead of once per subscriber, and sends the one serialized result to
 * every subscriber of the group. The frame is the graphql-ws `next` message, built once per
 * operation id (clients often share ids such as "1").
 *
 * Guarantees: a member receives the group's results in the order the execution produced
 * them (so in publish order); a member joining a live group is live at once, one joining a
 * starting group when it goes live; the group unsubscribes when its last member leaves.
 * graphql-ws still sees one operation per member: an iterator that yields nothing (the frames
 * bypass it) and ends when the member completes or the group ends.
 */
/** Frames written per turn of the event loop during a broadcast. */
const SENDS_PER_TURN = 500;

export function createSubscriptionFanOut<Socket>({ send, onMembersLive }: FanOutOptions<Socket>) {
  const groups = new Map<string, SharedExecution<Socket>>();

  const recount = (group: SharedExecution<Socket>) => {
    const target = group.state === 'live' ? Math.max(0, group.members.size - 1) : 0;
    if (target !== group.counted) onMembersLive(group.field, target - group.counted);
    group.counted = target;
  };

  const end = (group: SharedExecution<Socket>, error?: unknown) => {
    if (group.state === 'ended') return;
    group.state = 'ended';
    if (groups.get(group.key) === group) groups.delete(group.key);
    recount(group);
    const members = [...group.members];
    group.members.clear();
    for (const member of members) member.finish(error);
    void group.iterator?.return?.();
  };

  /**
   * Sends one event to the members the group had when it arrived, yielding to the event loop
   * every SENDS_PER_TURN sends so that a broadcast to thousands never stalls everything else;
   * the pump awaits it, so the group's next event waits and order holds.
   */
  const deliver = async (group: SharedExecution<Socket>, result: ExecutionResult) => {
    const frameFor = nextFrames(result);
    let sent = 0;
    for (const member of [...group.members]) {
      send(member.socket, frameFor(member.operationId));
      sent += 1;
      if (sent % SENDS_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  };

  const pump = async (group: SharedExecution<Socket>, iterator: AsyncIterator<ExecutionResult>) => {
    try {
      for (;;) {
        const result = await iterator.next();
        if (result.done || group.state === 'ended') break;
        await deliver(group, result.value);
      }
      end(group);
    } catch (error) {
      end(group, error);
    }
  };

  const startGroup = (request: SharedSubscriptionRequest<Socket>): SharedExecution<Socket> => {
    const start = request.start!;
    const group: SharedExecution<Socket> = {
      key: request.key,
      field: request.field,
      members: new Set(),
      ready: Promise.resolve(undefined),
      iterator: null,
      state: 'starting',
      counted: 0,
    };
    group.ready = (async () => {
      let started: AsyncIterable<ExecutionResult> | ExecutionResult;
      try {
        started = await start(group.members);
      } catch (error) {
        end(group, error);
        throw error;
      }
      if (!(Symbol.asyncIterator in Object(started))) {
        end(group);
        return started as ExecutionResult;
      }
      const iterator = (started as AsyncIterable<ExecutionResult>)[Symbol.asyncIterator]();
      group.iterator = iterator;
      if (group.members.size === 0 || group.state === 'ended') {
        group.state = 'ended';
        if (groups.get(group.key) === group) groups.delete(group.key);
        void iterator.return?.();
        return undefined;
      }
      group.state = 'live';
      recount(group);
      void pump(group, iterator);
      return undefined;
    })();
    groups.set(request.key, group);
    return group;
  };

  const leave = (group: SharedExecution<Socket>, member: GroupMember<Socket>) => {
    if (!group.members.delete(member)) return;
    if (group.members.size > 0 || group.state !== 'live') {
      recount(group);
      return;
    }
    end(group);
  };

  return {
    /**
     * Joins (or starts) the request's group. Resolves with the member's iterator for
     * graphql-ws, or with the `ExecutionResult` that refused the subscription.
     */
    async join(request: SharedSubscriptionRequest<Socket>): Promise<AsyncIterableIterator<never> | ExecutionResult> {
      const existing = groups.get(request.key);
      const group = existing && existing.state !== 'ended' ? existing : startGroup(request);
      request.start = null; // the request's context is not kept by a member that joined
      const member = new GroupMember(request.member.socket, request.member.operationId, group, leave);
      group.members.add(member);
      recount(group);
      const refused = await group.ready;
      return refused ?? member;
    },
    /** Distinct shared executions running now (for tests and diagnostics). */
    groupCount: () => groups.size,
  };
}
