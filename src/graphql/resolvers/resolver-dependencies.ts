import type { Metrics } from '../../observability/metrics';
import type { NotificationHistory } from '../../history/notification-history';
import type { EventBus } from '../../pubsub/event-bus';

export interface ResolverDependencies {
  readonly bus: EventBus;
  readonly metrics: Metrics;
  readonly maxPayloadBytes: number;
  readonly history: NotificationHistory;
  readonly nextForumActivityId: () => string;
}
