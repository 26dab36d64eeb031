import type { Metrics } from '../../observability/metrics';
import type { NotificationHistory } from '../../history/notification-history';
import type { PresenceStore } from '../../presence/presence-store';
import type { ThreadVisibilities } from '../../threads/thread-visibilities';
import type { TypingSlots } from '../../threads/typing-slots';
import type { EventBus } from '../../pubsub/event-bus';

export interface ResolverDependencies {
  readonly bus: EventBus;
  readonly metrics: Metrics;
  readonly maxPayloadBytes: number;
  readonly history: NotificationHistory;
  readonly nextForumActivityId: () => string;
  /** Who is reading each thread. */
  readonly presence: PresenceStore;
  /** The typing rate limit. */
  readonly typingSlots: TypingSlots;
  /** Who may see each thread's presence and typing. */
  readonly visibilities: ThreadVisibilities;
}
