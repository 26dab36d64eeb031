import type { ForumActivityInput, NotificationInput } from '../events/drafts';
import { type ChannelMap, forumKindOf, isNotificationEvent, matchChannel } from './channel-map';

/**
 * One Laravel broadcast on one channel, as either of Laravel's broadcasters sends it: the
 * `redis` driver publishes `{"event", "data", "socket"}` on `<prefix><channel>`, the
 * `pusher`/`reverb` driver posts `{"name", "data", "channels", "socket_id"}` to the HTTP API.
 * Pure: parsing and translation only.
 */
export interface LaravelBroadcast {
  readonly channel: string;
  readonly event: string;
  /** The event's payload, without `socket` (the sender's socket id, which means nothing here). */
  readonly data: Readonly<Record<string, unknown>>;
}

export type Translation =
  | { readonly kind: 'notification'; readonly input: NotificationInput }
  | { readonly kind: 'forumActivity'; readonly input: ForumActivityInput }
  | { readonly kind: 'unknown_channel'; readonly name: string }
  | { readonly kind: 'unknown_event'; readonly name: string }
  | { readonly kind: 'malformed'; readonly reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The payload as an object without `socket`. Older Laravel versions leave `socket` inside
 * `data` as well as beside it; a payload that is not an object (a Pusher `data` string that
 * is not JSON) is kept under `value`.
 */
export function payloadObject(data: unknown): Record<string, unknown> {
  // PHP encodes an empty array as `[]`.
  if (data == null || (Array.isArray(data) && data.length === 0)) return {};
  if (!isRecord(data)) return { value: data };
  const { socket: _socket, ...rest } = data;
  return rest;
}

/** Parses what the `redis` broadcaster published on `channel` (the Laravel prefix already removed). */
export function parseRedisBroadcast(channel: string, message: string): LaravelBroadcast | { readonly malformed: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return { malformed: 'the message is not JSON' };
  }
  if (!isRecord(parsed)) return { malformed: 'the message is not a JSON object' };
  const event = parsed['event'];
  if (typeof event !== 'string' || event === '') return { malformed: 'the message has no "event" string' };
  if (parsed['data'] !== undefined && parsed['data'] !== null && !isRecord(parsed['data']) && !Array.isArray(parsed['data'])) {
    return { malformed: '"data" is not an object' };
  }
  return { channel, event, data: payloadObject(parsed['data']) };
}

/** A string or number at the first of `paths` that has one (`thread.id` reads `{thread: {id}}`). */
function pick(data: Readonly<Record<string, unknown>>, ...paths: string[]): string | undefined {
  for (const path of paths) {
    let value: unknown = data;
    for (const key of path.split('.')) value = isRecord(value) ? value[key] : undefined;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    if (typeof value === 'string' && value.trim() !== '') return value;
  }
  return undefined;
}

/** `App\Notifications\ThreadReplied` → `ThreadReplied`. */
function baseName(className: string): string {
  return className.slice(className.lastIndexOf('\\') + 1);
}

/**
 * Turns a broadcast into the input of one of our events, through the channel map.
 *
 * A notification (`BroadcastNotificationCreated` on a notifiable's channel) takes `type` from
 * `data.type` (Laravel sets it to the notification's class or `broadcastType()`), `title` from
 * `data.title`, `data.subject` or else the type's base name, `body` from `data.body` or
 * `data.message`, `url` from `data.url` or `data.action_url`; all of `data` (Laravel's
 * notification `id` included) is kept in `data`. Forum activity takes `forumId`/`threadId`
 * from the channel when it names them, else from `data` (`forumId`, `forum_id`, `forum.id`, …).
 */
export function translateBroadcast(map: ChannelMap, { channel, event, data }: LaravelBroadcast): Translation {
  const target = matchChannel(map, channel);
  if (!target) return { kind: 'unknown_channel', name: channel };

  if (target.kind === 'notification') {
    if (!isNotificationEvent(map, event)) return { kind: 'unknown_event', name: event };
    const type = pick(data, 'type') ?? event;
    return {
      kind: 'notification',
      input: {
        userId: target.userId,
        type,
        title: pick(data, 'title', 'subject') ?? baseName(type),
        body: pick(data, 'body', 'message') ?? null,
        url: pick(data, 'url', 'action_url', 'actionUrl') ?? null,
        data,
      },
    };
  }

  const kind = forumKindOf(map, event);
  if (!kind) return { kind: 'unknown_event', name: event };
  const forumId = target.forumId ?? pick(data, 'forumId', 'forum_id', 'forum.id', 'thread.forum_id', 'thread.forumId');
  if (forumId === undefined) return { kind: 'malformed', reason: `${event} on ${channel} names no forum (forumId, forum_id or forum.id)` };
  return {
    kind: 'forumActivity',
    input: {
      kind,
      forumId,
      threadId: target.threadId ?? pick(data, 'threadId', 'thread_id', 'thread.id', 'post.thread_id', 'post.threadId') ?? null,
      postId: pick(data, 'postId', 'post_id', 'post.id') ?? null,
      actorId: pick(data, 'actorId', 'actor_id', 'userId', 'user_id', 'user.id') ?? null,
      title: pick(data, 'title', 'thread.title') ?? null,
      excerpt: pick(data, 'excerpt', 'post.excerpt') ?? null,
      url: pick(data, 'url') ?? null,
      visibility: target.visibility,
      channel,
      data,
    },
  };
}
