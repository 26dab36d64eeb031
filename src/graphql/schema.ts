import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphQLJSON } from 'graphql-scalars';
import { createSchema } from 'graphql-yoga';
import type { GraphQLContext } from './context';
import { DateTime } from './date-time-scalar';
import { createForumResolvers, forumActivitySharing } from './resolvers/forum-resolvers';
import { createNotificationResolvers, notificationSharing } from './resolvers/notification-resolvers';
import { createPresenceResolvers, createThreadViewersSharing } from './resolvers/presence-resolvers';
import type { ResolverDependencies } from './resolvers/resolver-dependencies';
import { createTypingResolvers, typingSharing } from './resolvers/typing-resolvers';
import type { SubscriptionSharings } from './subscriptions/subscription-sharing';
import { createViewerResolvers } from './resolvers/viewer-resolvers';

/** The SDL files in schema/, the source of truth; this file sits two levels below it in src/ and dist/. */
const SCHEMA_DIR = join(__dirname, '..', '..', 'schema');

export function loadTypeDefs(dir = SCHEMA_DIR): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.graphql'))
    .sort()
    .map((name) => readFileSync(join(dir, name), 'utf8'));
}

/** How each subscription field's subscribers share work, as each resolver file declares it. */
export const subscriptionSharing = (dependencies: ResolverDependencies): SubscriptionSharings => ({
  notification: notificationSharing,
  forumActivity: forumActivitySharing,
  threadViewers: createThreadViewersSharing(dependencies),
  typing: typingSharing,
});

export function createGraphQLSchema(dependencies: ResolverDependencies) {
  return createSchema<GraphQLContext>({
    typeDefs: loadTypeDefs(),
    resolvers: [
      { DateTime, JSON: GraphQLJSON },
      createViewerResolvers(),
      createNotificationResolvers(dependencies),
      createForumResolvers(dependencies),
      createPresenceResolvers(dependencies),
      createTypingResolvers(dependencies),
    ],
  });
}
