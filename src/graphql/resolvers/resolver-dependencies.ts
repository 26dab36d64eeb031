import type { Metrics } from '../../observability/metrics';
import type { EventBus } from '../../pubsub/event-bus';

export interface ResolverDependencies {
  readonly bus: EventBus;
  readonly metrics: Metrics;
  readonly maxPayloadBytes: number;
  readonly nextNotificationId: () => string;
  readonly nextForumActivityId: () => string;
}
