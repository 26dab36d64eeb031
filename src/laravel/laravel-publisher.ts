import { forumActivityEvent, notificationDraft } from '../events/drafts';
import { forumActivityTopic } from '../events/topics';
import type { NotificationHistory } from '../history/notification-history';
import type { Logger } from '../observability/logger';
import type { LaravelOutcome, LaravelSource, Metrics } from '../observability/metrics';
import { BusUnavailableError, type EventBus } from '../pubsub/event-bus';
import type { ChannelMap } from './channel-map';
import { type LaravelBroadcast, translateBroadcast } from './laravel-message';

export interface LaravelPublisherOptions {
  readonly channelMap: ChannelMap;
  readonly history: NotificationHistory;
  readonly bus: EventBus;
  readonly metrics: Metrics;
  readonly nextForumActivityId: () => string;
  readonly maxPayloadBytes: number;
  readonly logger: Logger;
}

/**
 * Decides, just before publishing, whether this process publishes a message at all; false when
 * another process already did (see redis-broadcast-consumer.ts). It may throw when it cannot
 * tell, which counts as `unavailable`.
 */
export type Claim = () => Promise<boolean>;

/** Distinct unknown names logged at most; past it, one line says that logging stopped. */
const MAX_REPORTED_NAMES = 1000;

/**
 * Publishes Laravel's broadcasts as our events, through the same seams as the GraphQL
 * mutations: a notification through the NotificationHistory (retained, replayable, with a
 * stream position as id), forum activity on the bus. Every message is counted in
 * `realtime_laravel_messages_total{source, outcome}`; nothing here throws.
 */
export function createLaravelPublisher({ channelMap, history, bus, metrics, nextForumActivityId, maxPayloadBytes, logger }: LaravelPublisherOptions) {
  const log = logger.child({ component: 'laravel' });
  const reported = new Set<string>();

  const count = (source: LaravelSource, outcome: LaravelOutcome): LaravelOutcome => {
    metrics.laravelMessage(source, outcome);
    return outcome;
  };

  /** Logs an unknown channel or event the first time it is seen, so a busy one cannot flood the log. */
  const reportUnknown = (source: LaravelSource, what: 'channel' | 'event', name: string) => {
    const key = `${what}\n${name}`;
    if (reported.has(key) || reported.size > MAX_REPORTED_NAMES) return;
    reported.add(key);
    if (reported.size > MAX_REPORTED_NAMES) {
      log.warn({ source }, `more than ${MAX_REPORTED_NAMES} distinct unknown Laravel channels and events; no longer logging new ones (still counted)`);
      return;
    }
    log.warn({ source, [what]: name }, `unknown Laravel ${what}, not in the channel map (LARAVEL_CHANNEL_MAP); counted and ignored from now on`);
  };

  async function publish(source: LaravelSource, broadcast: LaravelBroadcast, claim?: Claim): Promise<LaravelOutcome> {
    const translation = translateBroadcast(channelMap, broadcast);
    switch (translation.kind) {
      case 'unknown_channel':
        reportUnknown(source, 'channel', translation.name);
        return count(source, 'unknown_channel');
      case 'unknown_event':
        reportUnknown(source, 'event', translation.name);
        return count(source, 'unknown_event');
      case 'malformed':
        return malformed(source, translation.reason, broadcast.channel);
      default:
    }
    const size = Buffer.byteLength(JSON.stringify(translation.input));
    if (size > maxPayloadBytes) {
      log.warn(
        { source, channel: broadcast.channel, event: broadcast.event, size, limit: maxPayloadBytes },
        'dropped a Laravel broadcast over MAX_PAYLOAD_BYTES',
      );
      return count(source, 'too_large');
    }
    try {
      if (claim && !(await claim())) return count(source, 'duplicate');
      const now = new Date().toISOString();
      if (translation.kind === 'notification') {
        await history.publish(notificationDraft(translation.input, now));
        metrics.eventPublished('notification');
      } else {
        const event = forumActivityEvent(translation.input, nextForumActivityId(), now);
        await bus.publish(forumActivityTopic(event.visibility), event);
        metrics.eventPublished('forum_activity');
      }
      return count(source, 'published');
    } catch (error) {
      const fields = { source, channel: broadcast.channel, event: broadcast.event, err: (error as Error).message };
      if (error instanceof BusUnavailableError) log.warn(fields, 'the event bus is unavailable; a Laravel broadcast was not published');
      else log.error(fields, 'a Laravel broadcast could not be published');
      return count(source, 'unavailable');
    }
  }

  /** Counts and logs a message that cannot be understood. */
  function malformed(source: LaravelSource, reason: string, channel?: string): LaravelOutcome {
    log.warn({ source, channel, reason }, 'dropped a malformed Laravel broadcast');
    return count(source, 'malformed');
  }

  return { publish, malformed };
}

export type LaravelPublisher = ReturnType<typeof createLaravelPublisher>;
