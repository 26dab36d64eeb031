import type { Caller } from '../events/caller';
import { bearerTokenOf, type IdentifyCaller } from '../auth/identify-caller';
import type { ForumActivityEvent } from '../events/payloads';
import type { TypingEvent } from '../events/thread-payloads';
import { graphQLError } from './errors';
import type { SubscriptionHooks } from './subscriptions/pipeline';
import type { SubscriptionSharing, SubscriptionSharings } from './subscriptions/subscription-sharing';
import type { Verdict } from '../lib/guarded-iterator';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { isStaff } from '../events/visibility';
import type { LaravelAuthConfig } from '../config/config';
import type { ChannelMap } from '../laravel/channel-map';
import { guardOf, isGuardedChannel, presenceChannelOf } from '../laravel/channel-guard';
import { type ChannelDecision, createLaravelChannelAuthorizer } from '../laravel/laravel-channel-authorizer';

export interface LaravelChannelAccessOptions {
  /** LARAVEL_AUTH_URL, LARAVEL_AUTH_TTL_SECONDS, LARAVEL_AUTH_TIMEOUT_MS */
  readonly config: LaravelAuthConfig;
  readonly channelMap: ChannelMap;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

/**
 * Laravel's routes/channels.php as the authority over private and presence channels
 * (LARAVEL_AUTH_URL), on every transport, through the subscription pipeline's hooks:
 *
 * - `authorize` (when a subscription opens, may wait for Laravel): `threadViewers` and `typing`
 *   join the thread's presence channel: refused → FORBIDDEN, unavailable → UNAVAILABLE
 *   (`assertInThread`, which the presence query and the typing mutation call too).
 *   `forumActivity(forumId)` asks about that forum's private channels ahead, so its first events
 *   are not held back.
 * - `filterEvents` (in the forumActivity and typing resolvers, per event, in order): an event
 *   guarded by a private or presence channel reaches a subscriber only with a fresh allowed
 *   decision: held (one nearing the end of its TTL is asked again in the background), or asked
 *   then (the subscriber's later events wait behind it). Unavailable: not delivered (fail
 *   closed). Executions are therefore shared per caller only (`sharing`), not per
 *   visibility class.
 *
 * Public channels are never asked about. The caller's own JWT is what Laravel's `realtime` guard
 * reads: `rememberingTokens` keeps it beside the caller when it is identified (a WeakMap: only as
 * long as the caller lives — a socket, an SSE stream, a request).
 */
export function createLaravelChannelAccess({ config, channelMap, metrics, logger }: LaravelChannelAccessOptions) {
  const log = logger.child({ component: 'laravel-auth' });
  let unavailable = false;
  const authorizer = createLaravelChannelAuthorizer({ ...config, onAnswer });
  const tokens = new WeakMap<Caller, string>();
  /** Past this much of its TTL, a decision in use is asked again before it expires. */
  const refreshBelowMs = (config.ttlSeconds * 1000) / 4;

  /** The decision usable now for (caller, channel), from memory; starts a question when it is missing or ageing. */
  function verdict(caller: Caller, channel: string, token = tokens.get(caller)): Verdict {
    if (caller.kind === 'publisher') return 'deliver';
    if (caller.kind !== 'user' || token === undefined) return 'hold';
    const held = authorizer.peek(caller.user.id, channel);
    if (!held || held.remainingMs < refreshBelowMs) void authorizer.refresh({ userId: caller.user.id, token, channel });
    if (held?.decision.kind === 'allowed') return 'deliver';
    return held?.decision.kind === 'refused' ? 'refuse' : 'hold';
  }

  /** The forum's private channels this caller's events could be guarded by, for asking ahead. */
  function forumChannels(caller: Caller, forumId: string): string[] {
    return channelMap.forumChannels.flatMap(({ pattern, visibility }) => {
      if (!isGuardedChannel(pattern.source) || pattern.placeholders.join() !== 'forumId') return [];
      if (visibility === 'STAFF' && !(caller.kind === 'user' && isStaff(caller.user.roles))) return [];
      return [pattern.source.replace('{forumId}', forumId)];
    });
  }

  const hooks: SubscriptionHooks = {
    async authorize({ field, args, caller }) {
      if (field === 'threadViewers' || field === 'typing') {
        await assertInThread(caller, String(args['threadId']));
        return;
      }
      const token = tokens.get(caller);
      if (field === 'forumActivity' && caller.kind === 'user' && token !== undefined && typeof args['forumId'] === 'string') {
        const ahead = forumChannels(caller, args['forumId']);
        await Promise.all(ahead.map((channel) => authorizer.authorize({ userId: caller.user.id, token, channel })));
      }
    },
  };

  /**
   * The events of `stream` that this caller may receive, in order: those `guardOf` names no
   * channel for, and those of a channel Laravel allows them on (a held decision, or asked now —
   * the events behind it wait, none is skipped for want of a decision). Unavailable or refused:
   * not delivered. Ending the returned iterator ends `stream`.
   */
  function filterEvents<Event>(caller: Caller, stream: AsyncIterator<Event>, guardOf: (event: Event) => string | null): AsyncIterableIterator<Event> {
    const mayReceive = async (event: Event): Promise<boolean> => {
      const channel = guardOf(event);
      if (channel === null) return true;
      const now = verdict(caller, channel);
      if (now !== 'hold') return now === 'deliver';
      const token = tokens.get(caller);
      if (caller.kind !== 'user' || token === undefined) return false;
      return (await authorizer.authorize({ userId: caller.user.id, token, channel })).kind === 'allowed';
    };
    const iterator: AsyncIterableIterator<Event> = {
      async next() {
        for (;;) {
          const result = await stream.next();
          if (result.done || (await mayReceive(result.value))) return result;
        }
      },
      return: async () => (await stream.return?.()) ?? { value: undefined, done: true },
      throw: async (error: unknown) => (await stream.throw?.(error)) ?? { value: undefined, done: true },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /**
   * With Laravel deciding, what a subscriber receives depends on its own token: one connection's
   * (or one SSE request's) subscriptions share an execution, nobody else's.
   */
  const callerKeys = new WeakMap<Caller, number>();
  let nextCallerKey = 0;
  const sharedPerCaller = (shared: SubscriptionSharing): SubscriptionSharing => {
    if (shared.kind !== 'group') return shared;
    return {
      ...shared,
      groupOf(caller) {
        if (caller.kind !== 'user') return shared.groupOf(caller);
        let key = callerKeys.get(caller);
        if (key === undefined) callerKeys.set(caller, (key = nextCallerKey += 1));
        return `caller ${key}`;
      },
    };
  };

  /**
   * Laravel's allowed decision on the thread's presence channel for this caller (asked, or held
   * while fresh), with its `user_info`; otherwise the error the caller gets: UNAUTHENTICATED
   * (anonymous), FORBIDDEN (refused), UNAVAILABLE (Laravel did not answer). For presence and
   * typing, subscriptions and operations alike.
   */
  async function assertInThread(caller: Caller, threadId: string): Promise<Extract<ChannelDecision, { kind: 'allowed' }>> {
    if (caller.kind === 'publisher') return { kind: 'allowed', userInfo: null };
    const token = tokens.get(caller);
    if (caller.kind !== 'user' || token === undefined) throw graphQLError('UNAUTHENTICATED', 'Sign in to join this thread.');
    const decision = await authorizer.authorize({ userId: caller.user.id, token, channel: presenceChannelOf(channelMap, threadId) });
    if (decision.kind === 'refused') throw graphQLError('FORBIDDEN', 'Laravel does not allow you in this thread.');
    if (decision.kind === 'unavailable') throw graphQLError('UNAVAILABLE', 'Laravel could not be asked who may see this thread; try again later.');
    return decision;
  }

  /**
   * Every transport identifies callers through this: the token a user was identified by is kept
   * beside the caller (as long as the caller lives), to ask Laravel on their behalf.
   */
  const rememberingTokens =
    (identify: IdentifyCaller): IdentifyCaller =>
    async (authorization) => {
      const caller = await identify(authorization);
      const token = caller.kind === 'user' && authorization ? bearerTokenOf(authorization) : null;
      if (token !== null) tokens.set(caller, token);
      return caller;
    };

  /** Counts every answer, and says in the log when Laravel stops and starts answering. */
  function onAnswer(decision: ChannelDecision, channel: string): void {
    metrics.laravelAuthAnswer(decision.kind);
    if (decision.kind === 'unavailable' && !unavailable) {
      log.warn(
        { channel, reason: decision.reason },
        'Laravel channel authorization is unavailable: private and presence channels fail closed until it answers',
      );
    } else if (decision.kind !== 'unavailable' && unavailable) {
      log.info('Laravel channel authorization answers again');
    }
    unavailable = decision.kind === 'unavailable';
  }

  return {
    hooks,
    filterEvents,
    /** The fields' sharing, with every `group` narrowed to one caller. */
    sharing: (sharings: SubscriptionSharings): SubscriptionSharings => ({
      notification: sharedPerCaller(sharings.notification),
      forumActivity: sharedPerCaller(sharings.forumActivity),
      threadViewers: sharedPerCaller(sharings.threadViewers),
      typing: sharedPerCaller(sharings.typing),
    }),
    /** forumActivity: the private or presence channel that guards an event, null for public ones. */
    guardOfForumActivity: (event: ForumActivityEvent) => guardOf(channelMap, event),
    /** typing: the thread's presence channel. */
    guardOfTyping: (event: TypingEvent) => presenceChannelOf(channelMap, event.threadId),
    assertInThread,
    rememberingTokens,
    /** For a thread's presence stream: deliver while allowed, hold while undecided, refuse once Laravel refuses. */
    presenceVerdict: (caller: Caller, threadId: string) => verdict(caller, presenceChannelOf(channelMap, threadId)),
    /** Re-checks an open presence subscription this often: a refusal ends it within the TTL. */
    recheckEveryMs: Math.min(1_000, refreshBelowMs),
    close: () => authorizer.close(),
  };
}

export type LaravelChannelAccess = ReturnType<typeof createLaravelChannelAccess>;
