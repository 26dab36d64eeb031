import type { ForumActivityEvent, Visibility } from '../events/payloads';
import { type ChannelMap, type ChannelPattern, matchChannel } from './channel-map';

/**
 * The channel map read backwards: which Laravel channel guards an event or a thread's presence,
 * so that Laravel's routes/channels.php can be asked about it (LARAVEL_AUTH_URL). Pure.
 */

/** Pusher's convention, which Laravel follows: only these channels need authorization. */
export function isGuardedChannel(channel: string): boolean {
  return channel.startsWith('private-') || channel.startsWith('presence-');
}

function fill(pattern: ChannelPattern, values: Readonly<Record<string, string | null>>): string | undefined {
  let channel = pattern.source;
  for (const name of pattern.placeholders) {
    const value = values[name];
    if (value == null || value.includes('.')) return undefined;
    channel = channel.replace(`{${name}}`, value);
  }
  return channel;
}

/**
 * The private or presence channel a user must be allowed on to receive `event`, or null when
 * anyone may (a public channel). The channel it was broadcast on when it has one; otherwise the
 * first channel of the map with the event's visibility that its forum and thread fill
 * (`MEMBERS` of forum 12 → `private-forum.12`, `STAFF` → `private-staff.forum.12`).
 */
export function guardOf(map: ChannelMap, event: Pick<ForumActivityEvent, 'channel' | 'visibility' | 'forumId' | 'threadId'>): string | null {
  if (event.channel != null) return isGuardedChannel(event.channel) ? event.channel : null;
  if (event.visibility === 'PUBLIC') return null;
  for (const { pattern, visibility } of map.forumChannels) {
    if (visibility !== event.visibility || !isGuardedChannel(pattern.source)) continue;
    const channel = fill(pattern, { forumId: event.forumId, threadId: event.threadId });
    if (channel !== undefined) return channel;
  }
  // No channel of the map describes it: nobody may be allowed on a channel nobody names.
  return `private-${event.visibility.toLowerCase()}.forum.${event.forumId}`;
}

/** The presence channel of a thread (`presence-thread.{threadId}` in the default map): joined by threadViewers and typing. */
export function presenceChannelOf(map: ChannelMap, threadId: string): string {
  for (const { pattern } of map.forumChannels) {
    if (!pattern.source.startsWith('presence-') || pattern.placeholders.join() !== 'threadId') continue;
    const channel = fill(pattern, { threadId });
    if (channel !== undefined) return channel;
  }
  return `presence-thread.${threadId}`;
}

/** The visibility class of a forum channel the publisher named, or undefined when the map does not know it. */
export function visibilityOfChannel(map: ChannelMap, channel: string): Visibility | undefined {
  const target = matchChannel(map, channel);
  return target?.kind === 'forum' ? target.visibility : undefined;
}
