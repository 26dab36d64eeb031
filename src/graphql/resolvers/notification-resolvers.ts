import { notificationDraft } from '../../events/drafts';
import type { NotificationEvent } from '../../events/payloads';
import { openNotificationStream } from '../../history/replay-then-live';
import { assertPublisher } from '../authorize';
import { subscribersOf, type GraphQLContext } from '../context';
import { checkNotificationSubscription, type NotificationSubscriptionArgs } from '../notification-subscription';
import type { SubscriptionSharing } from '../subscriptions/subscription-sharing';
import { unlessBusUnavailable } from '../bus-unavailable';
import type { Resolvers } from '../generated/resolvers-types';
import { assertBatch, assertInputSize, assertNotBlank } from '../validate-input';
import type { ResolverDependencies } from './resolver-dependencies';

/** A user's subscriptions share their channel; each replays from its own `after`. */
export const notificationSharing: SubscriptionSharing = {
  kind: 'user',
  check: (caller, args) => checkNotificationSubscription(caller, args as unknown as NotificationSubscriptionArgs),
};

export function createNotificationResolvers({ bus, history, metrics, maxPayloadBytes }: ResolverDependencies): Resolvers {
  return {
    Mutation: {
      async publishNotification(_parent, { input }, { caller }) {
        assertPublisher(caller);
        assertInputSize(input, maxPayloadBytes);
        assertNotBlank({ userId: input.userId, type: input.type, title: input.title });
        const draft = notificationDraft(input, new Date().toISOString());
        const event = await unlessBusUnavailable(() => history.publish(draft));
        metrics.eventPublished('notification');
        return { id: event.id, publishedAt: event.createdAt };
      },
      async publishNotifications(_parent, { inputs }, { caller }) {
        assertPublisher(caller);
        assertBatch(inputs, maxPayloadBytes, (input) => assertNotBlank({ userId: input.userId, type: input.type, title: input.title }));
        const createdAt = new Date().toISOString();
        const drafts = inputs.map((input) => notificationDraft(input, createdAt));
        const events = await unlessBusUnavailable(() => history.publishMany(drafts));
        metrics.eventPublished('notification', events.length);
        return events.map((event) => ({ id: event.id, publishedAt: event.createdAt }));
      },
    },
    Subscription: {
      notification: {
        async subscribe(_parent, args, { caller }) {
          const { userId, after } = checkNotificationSubscription(caller, args);
          const stream = await unlessBusUnavailable(() => openNotificationStream(bus, history, userId, after, () => metrics.subscriptionEnded('notification')));
          metrics.subscriptionStarted('notification');
          return stream;
        },
        // The subscription pipeline may run one execution for several of a user's subscriptions.
        resolve(event: NotificationEvent, _args: unknown, context: GraphQLContext) {
          metrics.eventDelivered('notification', Date.parse(event.createdAt), subscribersOf(context));
          return event;
        },
      },
    },
  };
}
