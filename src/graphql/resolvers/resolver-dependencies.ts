import type { ChannelMap } from '../../laravel/channel-map';
import type { LaravelChannelAccess } from '../laravel-channel-access';
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
  /** Laravel's channel names, read both ways: a publish's `channel` gives its visibility. */
  readonly channelMap: ChannelMap;
  /** Set with LARAVEL_AUTH_URL: Laravel decides presence (`threadViewers` carries its `user_info`). */
  readonly laravelAccess?: LaravelChannelAccess;
  /** The typing rate limit. */
  readonly typingSlots: TypingSlots;
  /** Who may see each thread's presence and typing. */
  readonly visibilities: ThreadVisibilities;
}
