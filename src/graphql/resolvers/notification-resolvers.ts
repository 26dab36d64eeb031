import type { NotificationEvent } from '../../events/payloads';
import { notificationTopic } from '../../events/topics';
import { openEventStream } from '../../pubsub/event-stream';
import { assertIsUser, assertPublisher } from '../authorize';
import { unlessBusUnavailable } from '../bus-unavailable';
import type { Resolvers } from '../generated/resolvers-types';
import { assertInputSize, assertNotBlank } from '../validate-input';
import type { ResolverDependencies } from './resolver-dependencies';

export function createNotificationResolvers({ bus, metrics, maxPayloadBytes, nextNotificationId }: ResolverDependencies): Resolvers {
  return {
    Mutation: {
      async publishNotification(_parent, { input }, { caller }) {
        assertPublisher(caller);
        assertInputSize(input, maxPayloadBytes);
        assertNotBlank({ userId: input.userId, type: input.type, title: input.title });
        const event: NotificationEvent = {
          id: nextNotificationId(),
          userId: input.userId,
          type: input.type,
          title: input.title,
          body: input.body ?? null,
          url: input.url ?? null,
          data: input.data ?? null,
          createdAt: new Date().toISOString(),
        };
        await unlessBusUnavailable(() => bus.publish(notificationTopic(event.userId), event));
        metrics.eventPublished('notification');
        return { id: event.id, publishedAt: event.createdAt };
      },
    },
    Subscription: {
      notification: {
        async subscribe(_parent, { userId }, { caller }) {
          assertIsUser(caller, userId);
          const stream = await unlessBusUnavailable(() =>
            openEventStream(bus, [notificationTopic(userId)], { onEnd: () => metrics.subscriptionEnded('notification') }),
          );
          metrics.subscriptionStarted('notification');
          return stream;
        },
        resolve(event: NotificationEvent) {
          metrics.eventDelivered('notification', Date.parse(event.createdAt));
          return event;
        },
      },
    },
  };
}
