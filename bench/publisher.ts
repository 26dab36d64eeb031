import { Pool } from 'undici';
import { PUBLISH_FORUM_ACTIVITY, PUBLISH_NOTIFICATION, PUBLISH_NOTIFICATIONS, type EventData } from './protocol';
import { wallClockMs } from './stats';

/**
 * Publishes as Laravel does: GraphQL mutations over HTTP POST with the publisher token, on
 * keep-alive connections. undici's pool rather than node:http: about half the client CPU per
 * request, on a machine whose two cores the service shares with its load.
 */
export function createPublisher(url: string, publisherToken: string, maxSockets: number) {
  const target = new URL(url);
  if (target.protocol !== 'http:') throw new Error(`the benchmark publishes over http only (got ${url})`);
  const pool = new Pool(target.origin, { connections: maxSockets });
  // Requests sent and not answered; beyond maxSockets they wait in the pool, not in the service.
  let inFlight = 0;
  let mostInFlight = 0;
  const headers = { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${publisherToken}` };

  /** The service's answer to one POST: its body when the status is 200, else an error message. */
  const send = async (query: string, variables: Record<string, unknown>): Promise<{ body: string } | { error: string }> => {
    mostInFlight = Math.max(mostInFlight, (inFlight += 1));
    try {
      const response = await pool.request({ path: target.pathname, method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      const text = await response.body.text();
      return response.statusCode === 200 ? { body: text } : { error: `HTTP ${response.statusCode}: ${text.slice(0, 200)}` };
    } catch (error) {
      return { error: (error as Error).message };
    } finally {
      inFlight -= 1;
    }
  };

  /** Resolves with an error message, or undefined when the service accepted the event. */
  const post = async (query: string, variables: Record<string, unknown>): Promise<string | undefined> => {
    const answer = await send(query, variables);
    return 'error' in answer ? answer.error : answer.body.includes('"errors"') ? answer.body.slice(0, 300) : undefined;
  };

  return {
    notify(userId: string, data: Omit<EventData, 'sentAt'>): Promise<string | undefined> {
      const sentAt = wallClockMs();
      return post(PUBLISH_NOTIFICATION, { input: { userId, type: 'bench', title: `benchmark ${data.tag} ${data.seq}`, data: { ...data, sentAt } } });
    },
    /** One `publishNotifications` call: notification i to `userIds[i]`, tagged with `data[i]`. */
    notifyMany(userIds: readonly string[], data: ReadonlyArray<Omit<EventData, 'sentAt'>>): Promise<string | undefined> {
      const sentAt = wallClockMs();
      const inputs = userIds.map((userId, index) => ({
        userId,
        type: 'bench',
        title: `benchmark ${data[index]!.tag} ${data[index]!.seq}`,
        data: { ...data[index], sentAt },
      }));
      return post(PUBLISH_NOTIFICATIONS, { inputs });
    },
    broadcast(forumId: string, data: Omit<EventData, 'sentAt'>): Promise<string | undefined> {
      const sentAt = wallClockMs();
      return post(PUBLISH_FORUM_ACTIVITY, {
        input: {
          kind: 'POST_CREATED',
          forumId,
          threadId: '1',
          postId: String(data.seq),
          actorId: '1',
          title: `benchmark ${data.tag} ${data.seq}`,
          visibility: 'MEMBERS',
          data: { ...data, sentAt },
        },
      });
    },
    /**
     * `publishNotification` or `publishForumActivity` with an input of the caller's: resolves with
     * the accepted event's `id` (the service answered with one), or an error message.
     */
    async publish(field: 'publishNotification' | 'publishForumActivity', input: Record<string, unknown>): Promise<{ id: string } | { error: string }> {
      const answer = await send(field === 'publishNotification' ? PUBLISH_NOTIFICATION : PUBLISH_FORUM_ACTIVITY, { input });
      if ('error' in answer) return answer;
      try {
        const id = (JSON.parse(answer.body) as { data?: Record<string, { id?: unknown } | null> | null }).data?.[field]?.id;
        return typeof id === 'string' ? { id } : { error: answer.body.slice(0, 300) };
      } catch {
        return { error: `an unparsable answer: ${answer.body.slice(0, 200)}` };
      }
    },
    /** The most requests in flight at once since the previous call (at most `connections` of them on the wire). */
    takeMostInFlight(): number {
      const most = mostInFlight;
      mostInFlight = inFlight;
      return most;
    },
    connections: maxSockets,
    close: () => pool.destroy(),
  };
}

export type Publisher = ReturnType<typeof createPublisher>;
