export {
  createRealtimeClient,
  type ConnectionState,
  type OperationRequest,
  type RealtimeClient,
  type RealtimeClientOptions,
  type TokenRequest,
} from './realtime-client.js';
export type { Sink } from './operation.js';
export type { Environment } from './environment.js';
export * from './generated/graphql.js';
export {
  connectionStateView,
  forumActivityView,
  notificationsView,
  threadViewersView,
  typingSignal,
  typingView,
  type ForumActivity,
  type ForumActivityFilter,
  type LiveView,
  type Notification,
  type ThreadViewers,
} from './live-views.js';
