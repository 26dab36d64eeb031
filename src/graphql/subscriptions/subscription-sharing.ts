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
 * - `user`: one user's subscriptions share the user's channel, each with its own replay from
 *   `after`; those with the same selection share one execution per event. `check` authorizes
 *   a subscriber and names its user and position (the resolver decides with the same function).
 * - `none`: each subscriber runs its own subscription (it has effects of its own, as presence does).
 */
export type SubscriptionSharing =
  | { readonly kind: 'group'; readonly groupOf: (caller: Caller) => string }
  | { readonly kind: 'user'; readonly check: (caller: Caller, args: Record<string, unknown>) => { readonly userId: string; readonly after: string | null } }
  | { readonly kind: 'none' };

export type SubscriptionSharings = Readonly<Record<SubscriptionField, SubscriptionSharing>>;
