import { DEFAULT_PRESENCE_TIMING, summarize, type PresenceSession, type PresenceStore, type PresenceTiming } from './presence-store';

interface Entry {
  readonly session: PresenceSession;
  lastSeenMs: number;
}

/**
 * The presence store of a single process with no Redis. Its sessions cannot outlive the process,
 * but it keeps the same expiry rule as the Redis store, so both behave alike.
 */
export function createMemoryPresenceStore(timing: PresenceTiming = DEFAULT_PRESENCE_TIMING, now: () => number = Date.now): PresenceStore {
  const threads = new Map<string, Map<string, Entry>>();

  const heartbeat = setInterval(() => {
    const seen = now();
    for (const entries of threads.values()) for (const entry of entries.values()) entry.lastSeenMs = seen;
  }, timing.heartbeatMs);
  heartbeat.unref();

  return {
    timing,
    async enter(threadId, session) {
      let entries = threads.get(threadId);
      if (!entries) threads.set(threadId, (entries = new Map<string, Entry>()));
      entries.set(session.sessionId, { session, lastSeenMs: now() });
    },
    async leave(threadId, sessionId) {
      const entries = threads.get(threadId);
      entries?.delete(sessionId);
      if (entries?.size === 0) threads.delete(threadId);
    },
    async snapshot(threadId) {
      const oldest = now() - timing.expiryMs;
      const entries = [...(threads.get(threadId)?.values() ?? [])].filter((entry) => entry.lastSeenMs >= oldest);
      return summarize(entries.map((entry) => entry.session));
    },
    async close() {
      clearInterval(heartbeat);
      threads.clear();
    },
  };
}
