/**
 * What the benchmark's parent process and its client workers say to each other over IPC,
 * and the GraphQL documents both sides use. Every request carries an `id` that its reply repeats.
 */

export const NOTIFICATION_SUBSCRIPTION = /* GraphQL */ `
  subscription BenchNotifications($userId: ID!) {
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
  subscription BenchActivity($forumId: ID) {
    forumActivity(forumId: $forumId) {
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

export const PUBLISH_NOTIFICATION = /* GraphQL */ `
  mutation BenchPublish($input: PublishNotificationInput!) {
    publishNotification(input: $input) {
      id
      publishedAt
    }
  }
`;

export const PUBLISH_NOTIFICATIONS = /* GraphQL */ `
  mutation BenchPublishMany($inputs: [PublishNotificationInput!]!) {
    publishNotifications(inputs: $inputs) {
      id
    }
  }
`;

export const PUBLISH_FORUM_ACTIVITY = /* GraphQL */ `
  mutation BenchPublishActivity($input: PublishForumActivityInput!) {
    publishForumActivity(input: $input) {
      id
      publishedAt
    }
  }
`;

/** How the client processes subscribe. */
export type Transport = 'ws' | 'sse';

/** Which measurement an event belongs to: carried in the event's `data` field with the send time. */
export type EventTag = 'warmup' | 'warmup-batch' | 'latency' | 'throughput' | 'batch' | 'burst' | 'broadcast';

/** The `data` of every event the benchmark publishes. */
export interface EventData {
  readonly tag: EventTag;
  readonly seq: number;
  /** Wall-clock milliseconds (fractional) just before the publish request was sent. */
  readonly sentAt: number;
}

export type WorkerRequest =
  | {
      readonly type: 'connect';
      readonly id: number;
      /** A name for this batch of sockets, so it can be closed on its own. */
      readonly group: string;
      /** graphql-ws sockets on `wsUrl`, or GraphQL-over-SSE streams on `httpUrl` (one per subscription). */
      readonly transport: Transport;
      readonly wsUrl: string;
      readonly httpUrl: string;
      readonly userIds: readonly string[];
      readonly jwtSecret: string;
      readonly localAddress?: string;
    }
  | { readonly type: 'subscribeForum'; readonly id: number; readonly group: string; readonly forumId: string }
  | { readonly type: 'disconnect'; readonly id: number; readonly group: string }
  /** Resolves once `count` notifications of `tag` arrived (or `timeoutMs` passed). */
  | { readonly type: 'awaitNotifications'; readonly id: number; readonly tag: EventTag; readonly count: number; readonly timeoutMs: number }
  /** Resolves once broadcast `seq` arrived on `count` sockets (or `timeoutMs` passed). */
  | { readonly type: 'awaitBroadcast'; readonly id: number; readonly seq: number; readonly count: number; readonly timeoutMs: number }
  | { readonly type: 'resetLoopDelay'; readonly id: number }
  | { readonly type: 'loopDelay'; readonly id: number };

/** How opening a set of sockets went (worker-sockets.ts connectInLanes): the subscribed ones, and why the first others failed. */
export interface ConnectOutcome {
  readonly subscribed: number;
  readonly failures: readonly string[];
}

export interface ConnectReply extends ConnectOutcome {
  readonly opened: number;
  readonly acknowledged: number;
}

export interface NotificationsReply {
  readonly received: number;
  /** Publish → receive latencies in ms, one per notification received. */
  readonly latenciesMs: readonly number[];
  /** Wall-clock ms of the last one received. */
  readonly lastAt: number;
  /** Notifications that arrived on a socket of another user (must be 0). */
  readonly misrouted: number;
}

export interface BroadcastReply {
  readonly received: number;
  readonly firstAt: number;
  readonly lastAt: number;
}

export interface LoopDelayReply {
  readonly maxMs: number;
  readonly p99Ms: number;
  readonly meanMs: number;
}

/** Unexpected things a worker saw: closes, protocol errors, events with no tag. */
export interface WorkerProblems {
  readonly closed: number;
  readonly errors: readonly string[];
}
