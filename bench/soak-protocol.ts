/**
 * What the soak's parent process and its client workers (soak-worker.ts) say to each other over
 * IPC, and the documents the workers subscribe with. Every request carries an `id` that its reply
 * repeats (client-pool.ts pairs them).
 */

import type { ConnectOutcome } from './protocol';

/** Every subscribe of a soak client resumes: `after` is the last id it saw, or "0-0" before it saw any. */
export const SOAK_NOTIFICATION_SUBSCRIPTION = /* GraphQL */ `
  subscription SoakNotifications($userId: ID!, $after: ID) {
    notification(userId: $userId, after: $after) {
      id
      userId
      type
      title
      data
      createdAt
    }
  }
`;

export const SOAK_FORUM_SUBSCRIPTION = /* GraphQL */ `
  subscription SoakActivity($forumId: ID) {
    forumActivity(forumId: $forumId) {
      id
      kind
      forumId
      title
      data
      occurredAt
    }
  }
`;

/** The position before every stream position: resuming after it replays all that is retained. */
export const BEFORE_EVERYTHING = '0-0';

/** How a client's life goes: online for a while, then it leaves (cleanly or not), away for a while, then back. */
export interface ChurnPlan {
  /** Milliseconds a client stays connected before it leaves: uniform in [min, max]. */
  readonly onlineMs: readonly [number, number];
  /** Milliseconds a client stays away before it comes back: uniform in [min, max]. */
  readonly awayMs: readonly [number, number];
  /** Share of leaves that are a clean close (1000); the rest drop the TCP connection without a close frame. */
  readonly cleanCloseShare: number;
}

export type SoakRequest =
  /** Opens every user's socket and subscribes; resolves once all were acknowledged (or failed). */
  | {
      readonly type: 'connectAll';
      readonly id: number;
      readonly wsUrl: string;
      /** The users of this worker, and whether each also subscribes to forum activity. */
      readonly users: ReadonlyArray<{ readonly userId: string; readonly forum: boolean }>;
      readonly forumId: string;
      readonly jwtSecret: string;
      readonly localAddress?: string;
    }
  /** From now on every client leaves and comes back, as the plan says. */
  | { readonly type: 'startChurn'; readonly id: number; readonly plan: ChurnPlan }
  /**
   * Stops the churn, brings every absent client back, and resolves once each user named in
   * `lastIds` has received the notification with that id (or `timeoutMs` passed).
   */
  | { readonly type: 'settle'; readonly id: number; readonly lastIds: Readonly<Record<string, string>>; readonly timeoutMs: number }
  /** What every user received, and the counters. */
  | { readonly type: 'collect'; readonly id: number }
  /** Closes every socket cleanly. */
  | { readonly type: 'disconnectAll'; readonly id: number };

export interface ConnectAllReply extends ConnectOutcome {
  readonly requested: number;
}

export interface SettleReply {
  readonly settled: number;
  /** Users that had not received their last notification at the timeout (at most 20 named). */
  readonly pending: readonly string[];
  readonly pendingCount: number;
}

export interface SoakCounters {
  /** Sockets opened, the first ones included. */
  readonly connects: number;
  /** Of those, subscribes that resumed with an `after` other than BEFORE_EVERYTHING. */
  readonly resumes: number;
  readonly cleanCloses: number;
  readonly abruptCloses: number;
  /** Sockets that failed before `connection_ack` (refused, reset, handshake timeout, closed by the server). */
  readonly connectFailures: number;
  /** Established sockets the service closed (any code), or that errored, without the client asking. */
  readonly serverCloses: number;
  /** `error` or `complete` messages the service sent for a subscription, and unparsable messages. */
  readonly protocolErrors: number;
  /** Notifications that arrived on another user's socket (must be 0). */
  readonly misrouted: number;
  readonly forumReceived: number;
  /** At most 20 descriptions of the above, the first ones. */
  readonly errorSamples: readonly string[];
}

export interface CollectReply {
  /** Every notification id each user received, in arrival order, across all its sockets. */
  readonly received: Readonly<Record<string, readonly string[]>>;
  readonly counters: SoakCounters;
}
