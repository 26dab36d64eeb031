import { forumActivityEvent } from '../../events/drafts';
import { matchesForumFilter } from '../../events/forum-filter';
import type { ForumActivityEvent } from '../../events/payloads';
import { forumActivityTopic } from '../../events/topics';
import { visibleClasses } from '../../events/visibility';
import { openEventStream } from '../../pubsub/event-stream';
import { assertPublisher, audienceOf } from '../authorize';
import { subscribersOf, type GraphQLContext } from '../context';
import { unlessBusUnavailable } from '../bus-unavailable';
import type { Resolvers } from '../generated/resolvers-types';
import { withChannelVisibility } from '../forum-channel-input';
import type { SubscriptionSharing } from '../subscriptions/subscription-sharing';
import { assertBatch, assertInputSize, assertNotBlank } from '../validate-input';
import type { ResolverDependencies } from './resolver-dependencies';

/** The resolver decides visibility by the caller's classes alone: subscribers of one set of classes share. */
export const forumActivitySharing: SubscriptionSharing = { kind: 'group', groupOf: (caller) => visibleClasses(audienceOf(caller)).join(',') };

export function createForumResolvers({ bus, metrics, maxPayloadBytes, nextForumActivityId, channelMap, laravelAccess }: ResolverDependencies): Resolvers {
  return {
    Mutation: {
      async publishForumActivity(_parent, { input }, { caller }) {
        assertPublisher(caller);
        assertInputSize(input, maxPayloadBytes);
        assertNotBlank({ forumId: input.forumId });
        const event = forumActivityEvent(withChannelVisibility(input, channelMap), nextForumActivityId(), new Date().toISOString());
        await unlessBusUnavailable(() => bus.publish(forumActivityTopic(event.visibility), event));
        metrics.eventPublished('forum_activity');
        return { id: event.id, publishedAt: event.occurredAt };
      },
      async publishForumActivities(_parent, { inputs }, { caller }) {
        assertPublisher(caller);
        assertBatch(inputs, maxPayloadBytes, (input) => {
          assertNotBlank({ forumId: input.forumId });
          withChannelVisibility(input, channelMap);
        });
        const occurredAt = new Date().toISOString();
        const events = inputs.map((input) => forumActivityEvent(withChannelVisibility(input, channelMap), nextForumActivityId(), occurredAt));
        // Sent together, in order: the bus keeps the order of one process's publishes.
        await unlessBusUnavailable(() => Promise.all(events.map((event) => bus.publish(forumActivityTopic(event.visibility), event))));
        metrics.eventPublished('forum_activity', events.length);
        return events.map((event) => ({ id: event.id, publishedAt: event.occurredAt }));
      },
    },
    Subscription: {
      forumActivity: {
        // Visibility is decided by which channels are subscribed, never by the arguments.
        async subscribe(_parent, filter, { caller }) {
          const topics = visibleClasses(audienceOf(caller)).map(forumActivityTopic);
          const stream = await unlessBusUnavailable(() =>
            openEventStream(bus, topics, {
              // The forum is decided by the topics' index; the rest of the filter per event.
              routeKey: filter.forumId ?? null,
              accept: (event) => matchesForumFilter(event, filter),
              onEnd: () => metrics.subscriptionEnded('forumActivity'),
            }),
          );
          metrics.subscriptionStarted('forumActivity');
          // With LARAVEL_AUTH_URL, Laravel decides each private event for this caller.
          return laravelAccess ? laravelAccess.filterEvents(caller, stream, laravelAccess.guardOfForumActivity) : stream;
        },
        resolve(event: ForumActivityEvent, _args: unknown, context: GraphQLContext) {
          metrics.eventDelivered('forumActivity', Date.parse(event.occurredAt), subscribersOf(context));
          return event;
        },
      },
    },
  };
}
