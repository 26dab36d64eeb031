export const PUBLISH_NOTIFICATION = /* GraphQL */ `
  mutation Publish($input: PublishNotificationInput!) {
    publishNotification(input: $input) {
      id
      publishedAt
    }
  }
`;

export const PUBLISH_NOTIFICATIONS = /* GraphQL */ `
  mutation PublishMany($inputs: [PublishNotificationInput!]!) {
    publishNotifications(inputs: $inputs) {
      id
      publishedAt
    }
  }
`;

export const PUBLISH_FORUM_ACTIVITIES = /* GraphQL */ `
  mutation PublishActivities($inputs: [PublishForumActivityInput!]!) {
    publishForumActivities(inputs: $inputs) {
      id
      publishedAt
    }
  }
`;

export const PUBLISH_FORUM_ACTIVITY = /* GraphQL */ `
  mutation PublishActivity($input: PublishForumActivityInput!) {
    publishForumActivity(input: $input) {
      id
      publishedAt
    }
  }
`;

export const NOTIFICATION_SUBSCRIPTION = /* GraphQL */ `
  subscription Notifications($userId: ID!) {
    notification(userId: $userId) {
      id
      userId
      type
      title
      body
      url
      data
      createdAt
    }
  }
`;

export const FORUM_ACTIVITY_SUBSCRIPTION = /* GraphQL */ `
  subscription Activity($forumId: ID, $threadId: ID, $kinds: [ForumActivityKind!]) {
    forumActivity(forumId: $forumId, threadId: $threadId, kinds: $kinds) {
      id
      kind
      forumId
      threadId
      postId
      actorId
      title
      excerpt
      url
      visibility
      data
      occurredAt
    }
  }
`;
