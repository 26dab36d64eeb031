/** One subscription to a thread's viewers: a browser tab, say. Anonymous sessions have no user. */
export interface PresenceSession {
  readonly sessionId: string;
  readonly userId: string | null;
  /** What Laravel's presence channel callback returned for the user (`user_info`), shown to the others; null without LARAVEL_AUTH_URL. */
  readonly info?: unknown;
}

/** Who is present in a thread at one moment. */
export interface PresenceSnapshot {
  /** Everyone present: each signed-in user once however many sessions, each anonymous session once. */
  readonly count: number;
  /** The signed-in users present, each once, sorted. */
  readonly userIds: readonly string[];
  /** Each signed-in user's `info`, for those who have one (from any of their sessions). */
  readonly infos: Readonly<Record<string, unknown>>;
}

/**
 * How presence is kept alive. A process rewrites the last-seen time of each of its own sessions
 * every `heartbeatMs`; a session not seen for `expiryMs` is gone, so the sessions of a process
 * that died vanish from every snapshot `expiryMs` after its last heartbeat at the latest.
 */
export interface PresenceTiming {
  readonly heartbeatMs: number;
  readonly expiryMs: number;
}

export const DEFAULT_PRESENCE_TIMING: PresenceTiming = Object.freeze({ heartbeatMs: 3_000, expiryMs: 10_000 });

/**
 * Who is present in each thread, shared by every process on one Redis (or kept by the one
 * process without it).
 *
 * Guarantees, for every implementation:
 * - After `enter` resolves, every `snapshot` of that thread (on any process) includes the session
 *   until `leave` resolves, or until `expiryMs` after this process last refreshed it.
 * - A snapshot never includes a session last refreshed more than `expiryMs` ago.
 * - Every method rejects (never resolves falsely) when the store cannot be reached.
 */
export interface PresenceStore {
  readonly timing: PresenceTiming;
  enter(threadId: string, session: PresenceSession): Promise<void>;
  leave(threadId: string, sessionId: string): Promise<void>;
  snapshot(threadId: string): Promise<PresenceSnapshot>;
  /** Removes this process's sessions. */
  close(): Promise<void>;
}

/** Counts each signed-in user once and each anonymous session once. */
export function summarize(sessions: Iterable<PresenceSession>): PresenceSnapshot {
  const users = new Set<string>();
  const infos: Record<string, unknown> = {};
  let anonymous = 0;
  for (const session of sessions) {
    if (session.userId === null) anonymous += 1;
    else users.add(session.userId);
    if (session.userId !== null && session.info != null) infos[session.userId] = session.info;
  }
  const userIds = [...users].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return { count: userIds.length + anonymous, userIds, infos };
}
