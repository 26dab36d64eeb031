import type { ForumActivityKind, Visibility } from '../events/payloads';

/**
 * How Laravel's broadcast channels and event names become our events; read from
 * `config/laravel-channels.json` (or the file LARAVEL_CHANNEL_MAP names) and documented in the
 * README. Pure: parsing and matching only, no file access.
 *
 * A channel pattern is a Laravel channel name (as it goes on the wire, `private-`/`presence-`
 * included) with placeholders in braces: `{userId}` in notification channels, `{forumId}` and
 * `{threadId}` in forum channels. A placeholder matches one dot-free segment (`42`, `a-uuid`).
 */
export interface ChannelMap {
  readonly notifications: {
    /** Channels of a notifiable, e.g. `private-App.Models.User.{userId}`. */
    readonly channels: readonly ChannelPattern[];
    /** Event names that carry a notification, e.g. `Illuminate\Notifications\Events\BroadcastNotificationCreated`. */
    readonly events: readonly string[];
  };
  /** Tried in order; the first whose pattern matches decides the visibility. */
  readonly forumChannels: ReadonlyArray<{ readonly pattern: ChannelPattern; readonly visibility: Visibility }>;
  /** Event name (class name or `broadcastAs` name) → kind. */
  readonly forumEvents: ReadonlyMap<string, ForumActivityKind>;
}

export interface ChannelPattern {
  readonly source: string;
  readonly regex: RegExp;
  readonly placeholders: readonly string[];
}

export type ChannelMatch =
  | { readonly kind: 'notification'; readonly userId: string }
  | { readonly kind: 'forum'; readonly visibility: Visibility; readonly forumId?: string; readonly threadId?: string };

const KINDS: readonly ForumActivityKind[] = ['THREAD_CREATED', 'THREAD_UPDATED', 'POST_CREATED', 'POST_UPDATED', 'POST_DELETED', 'REACTION_ADDED'];
const VISIBILITIES: readonly Visibility[] = ['PUBLIC', 'MEMBERS', 'STAFF'];
const TOP_LEVEL_KEYS = ['$comment', 'notifications', 'forumChannels', 'forumEvents'];

/** A mapping file that cannot be used; the message says where, for the one config error line. */
export class ChannelMapError extends Error {
  constructor(problem: string) {
    super(problem);
    this.name = 'ChannelMapError';
  }
}

function compilePattern(source: unknown, where: string, allowed: readonly string[], required: readonly string[]): ChannelPattern {
  if (typeof source !== 'string' || source.trim() === '') throw new ChannelMapError(`${where} must be a non-empty string`);
  const placeholders: string[] = [];
  const escaped = source.split(/(\{[^}]*\})/).map((part) => {
    const name = /^\{([^}]*)\}$/.exec(part)?.[1];
    if (name === undefined) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (!allowed.includes(name))
      throw new ChannelMapError(`${where} has an unknown placeholder {${name}} (allowed: ${allowed.map((p) => `{${p}}`).join(', ')})`);
    if (placeholders.includes(name)) throw new ChannelMapError(`${where} uses {${name}} twice`);
    placeholders.push(name);
    return '([^.]+)';
  });
  for (const name of required) {
    if (!placeholders.includes(name)) throw new ChannelMapError(`${where} must contain {${name}}`);
  }
  return { source, regex: new RegExp(`^${escaped.join('')}$`), placeholders };
}

function match(pattern: ChannelPattern, channel: string): Record<string, string> | undefined {
  const found = pattern.regex.exec(channel);
  if (!found) return undefined;
  return Object.fromEntries(pattern.placeholders.map((name, index) => [name, found[index + 1] as string]));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function array(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value) || value.length === 0) throw new ChannelMapError(`${where} must be a non-empty array`);
  return value;
}

/** Validates a parsed mapping file; throws a ChannelMapError naming the offending entry. */
export function parseChannelMap(json: unknown): ChannelMap {
  if (!isRecord(json)) throw new ChannelMapError('must be a JSON object');
  const unknown = Object.keys(json).filter((key) => !TOP_LEVEL_KEYS.includes(key));
  if (unknown.length > 0)
    throw new ChannelMapError(`has unknown keys ${unknown.map((key) => JSON.stringify(key)).join(', ')} (allowed: ${TOP_LEVEL_KEYS.join(', ')})`);
  const notifications = json['notifications'];
  if (!isRecord(notifications)) throw new ChannelMapError('"notifications" must be an object with "channels" and "events"');
  const notificationChannels = array(notifications['channels'], 'notifications.channels').map((source, index) =>
    compilePattern(source, `notifications.channels[${index}]`, ['userId'], ['userId']),
  );
  const notificationEvents = array(notifications['events'], 'notifications.events').map((name, index) => {
    if (typeof name !== 'string' || name === '') throw new ChannelMapError(`notifications.events[${index}] must be a non-empty string`);
    return name;
  });

  const forumChannels = array(json['forumChannels'], 'forumChannels').map((entry, index) => {
    const where = `forumChannels[${index}]`;
    if (!isRecord(entry)) throw new ChannelMapError(`${where} must be an object with "channel" and "visibility"`);
    const visibility = entry['visibility'];
    if (!VISIBILITIES.includes(visibility as Visibility)) {
      throw new ChannelMapError(`${where}.visibility must be one of ${VISIBILITIES.join(', ')} (got ${JSON.stringify(visibility)})`);
    }
    return { pattern: compilePattern(entry['channel'], `${where}.channel`, ['forumId', 'threadId'], []), visibility: visibility as Visibility };
  });

  const events = json['forumEvents'];
  if (!isRecord(events) || Object.keys(events).length === 0) throw new ChannelMapError('"forumEvents" must be an object of event name → kind');
  const forumEvents = new Map<string, ForumActivityKind>();
  for (const [name, kind] of Object.entries(events)) {
    if (!KINDS.includes(kind as ForumActivityKind)) {
      throw new ChannelMapError(`forumEvents[${JSON.stringify(name)}] must be one of ${KINDS.join(', ')} (got ${JSON.stringify(kind)})`);
    }
    forumEvents.set(name, kind as ForumActivityKind);
  }

  return Object.freeze({
    notifications: Object.freeze({ channels: notificationChannels, events: notificationEvents }),
    forumChannels: Object.freeze(forumChannels),
    forumEvents,
  });
}

/** Which of our channels a Laravel channel is, or undefined when the map does not know it. */
export function matchChannel(map: ChannelMap, channel: string): ChannelMatch | undefined {
  for (const pattern of map.notifications.channels) {
    const params = match(pattern, channel);
    if (params) return { kind: 'notification', userId: params['userId'] as string };
  }
  for (const { pattern, visibility } of map.forumChannels) {
    const params = match(pattern, channel);
    if (params) return { kind: 'forum', visibility, forumId: params['forumId'], threadId: params['threadId'] };
  }
  return undefined;
}

/**
 * Candidate spellings of an event name, most specific first: as sent, without the leading dot
 * of a `broadcastAs` name as laravel-echo writes it (`.thread.created`), and a class's base
 * name (`App\Events\Forum\ThreadCreated` → `ThreadCreated`).
 */
function spellings(event: string): string[] {
  const names = [event];
  if (event.startsWith('.')) names.push(event.slice(1));
  const base = event.slice(event.lastIndexOf('\\') + 1);
  if (base !== event) names.push(base);
  return names;
}

export function isNotificationEvent(map: ChannelMap, event: string): boolean {
  return spellings(event).some((name) => map.notifications.events.includes(name));
}

export function forumKindOf(map: ChannelMap, event: string): ForumActivityKind | undefined {
  for (const name of spellings(event)) {
    const kind = map.forumEvents.get(name);
    if (kind) return kind;
  }
  return undefined;
}
