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
