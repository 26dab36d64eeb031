import type { Caller } from '../../events/caller';
import type { SubscriptionField } from '../../observability/metrics';

/**
 * How the subscribers of one subscription field may share work, declared next to the field's
 * resolver; the pipeline reads nothing else to decide it.
 *
 * - `group`: subscribers sending the same document and variables share one subscription and
 *   one execution per event when `groupOf` gives their callers the same key. The key must hold
 *   everything of the caller the resolver reads (its authorization included): it is run once,
 *   with the first subscriber's context, for the whole group.
 *   A field whose subscribers each have effects of their own (presence: each is in the thread)
 *   declares its `membership`; one whose results are states rather than events (the thread's
 *   viewers now) says `states`: a member is sent a result only when it differs from the last
 *   the group sent, and a member who joins is sent the group's next one whatever it is.
 * - `user`: one user's subscriptions share the user's channel, each with its own replay from
 *   `after`; those with the same selection share one execution per event. `check` authorizes
 *   a subscriber and names its user and position (the resolver decides with the same function).
 */
export type SubscriptionSharing =
  | { readonly kind: 'group'; readonly groupOf: (caller: Caller) => string; readonly states?: boolean; readonly membership?: Membership }
  | { readonly kind: 'user'; readonly check: (caller: Caller, args: Record<string, unknown>) => { readonly userId: string; readonly after: string | null } };

export type SubscriptionSharings = Readonly<Record<SubscriptionField, SubscriptionSharing>>;

/** What one subscriber asks of a field's `membership`: its own, not its group's. */
export interface MemberRequest {
  readonly caller: Caller;
  readonly args: Readonly<Record<string, unknown>>;
}

/** A member's own part, for as long as it belongs to its group. */
export interface Member {
  /** Called once the member has joined its group (so the change it announces reaches it too); never rejects. */
  joined(): Promise<void>;
  /** Called once, when it leaves however it leaves; never rejects. */
  leave(): Promise<void>;
}

/**
 * What each subscriber of a group holds besides the shared execution. `enter` runs per
 * subscriber before it joins its group; it decides for that subscriber alone (it may refuse it
 * with a GraphQLError, which the subscriber receives as its result).
 */
export interface Membership {
  enter(request: MemberRequest): Promise<Member>;
}
