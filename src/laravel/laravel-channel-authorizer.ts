import { randomInt } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { Pool } from 'undici';

/**
 * Laravel's answer for one user and one private or presence channel, asked the way Echo asks
 * (`POST /broadcasting/auth`), so that the callbacks of routes/channels.php decide.
 */
export type ChannelDecision =
  /** 2xx. `userInfo` is the presence channel's `channel_data.user_info` (what the callback returned), else null. */
  | { readonly kind: 'allowed'; readonly userInfo: unknown }
  /** 401 or 403: the callback said no (or Laravel does not know the token). */
  | { readonly kind: 'refused' }
  /** Anything else: another status, a timeout, a refused connection. Never delivers anything. */
  | { readonly kind: 'unavailable'; readonly reason: string };

/** Who asks, for which channel: the subscriber's id and their own JWT (Laravel's `realtime` guard reads it). */
export interface ChannelQuestion {
  readonly userId: string;
  readonly token: string;
  /** As Laravel names it on the wire, prefix kept: `private-forum.12`, `presence-thread.345`. */
  readonly channel: string;
}

export interface LaravelChannelAuthorizerOptions {
  /** LARAVEL_AUTH_URL */
  readonly url: string;
  /** LARAVEL_AUTH_TTL_SECONDS: how long an allowed or refused decision is reused. */
  readonly ttlSeconds: number;
  /** LARAVEL_AUTH_TIMEOUT_MS: past it (from sending to the whole answer), Laravel counts as unavailable. */
  readonly timeoutMs: number;
  /** Questions on the wire at once (connections to Laravel); the others wait their turn, untimed. */
  readonly maxInFlight?: number;
  /** Decisions kept at most (least recently used dropped first). */
  readonly maxDecisions?: number;
  /** Called with every answer Laravel gave (or did not give), not with cached ones. */
  readonly onAnswer?: (decision: ChannelDecision, channel: string) => void;
}

export const DEFAULT_MAX_IN_FLIGHT = 32;
const DEFAULT_MAX_DECISIONS = 100_000;
/** An unavailable answer is reused this long, so that a Laravel that is down is not asked again by every event. */
export const UNAVAILABLE_RETRY_MS = 1_000;
/** Presence `user_info` larger than this is dropped (it is copied into every viewer list). */
const MAX_USER_INFO_BYTES = 4_096;

/** A decision held in memory, and how long it may still be used. */
export interface HeldDecision {
  readonly decision: ChannelDecision;
  readonly remainingMs: number;
}

export interface LaravelChannelAuthorizer {
  /**
   * The decision for this (user, channel): the one held while it is fresh, otherwise Laravel's
   * answer. Never rejects.
   */
  authorize(question: ChannelQuestion): Promise<ChannelDecision>;
  /**
   * Asks Laravel again even if a decision is held; the held one stays usable until the answer
   * replaces it (an unavailable answer never replaces a fresh decision).
   */
  refresh(question: ChannelQuestion): Promise<ChannelDecision>;
  /** The fresh decision held for (user, channel), without asking: for per-event checks, which must not wait. */
  peek(userId: string, channel: string): HeldDecision | undefined;
  /** Closes the connections to Laravel at once. */
  close(): Promise<void>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `channel_data.user_info` of a presence answer; Pusher sends channel_data as a JSON string, Laravel's redis broadcaster as an object. */
export function userInfoOf(body: string): unknown {
  try {
    const parsed: unknown = JSON.parse(body);
    let channelData = isRecord(parsed) ? parsed['channel_data'] : undefined;
    if (typeof channelData === 'string') channelData = JSON.parse(channelData);
    const info = isRecord(channelData) ? (channelData['user_info'] ?? null) : null;
    return info !== null && JSON.stringify(info).length > MAX_USER_INFO_BYTES ? null : info;
  } catch {
    return null;
  }
}

/** A Pusher socket id (`digits.digits`): Laravel only checks its form; the service has no Pusher socket to name. */
function socketId(): string {
  return `${randomInt(1, 2 ** 31)}.${randomInt(1, 2 ** 31)}`;
}

export function createLaravelChannelAuthorizer({
  url,
  ttlSeconds,
  timeoutMs,
  maxInFlight = DEFAULT_MAX_IN_FLIGHT,
  maxDecisions = DEFAULT_MAX_DECISIONS,
  onAnswer,
}: LaravelChannelAuthorizerOptions): LaravelChannelAuthorizer {
  const target = new URL(url);
  // One pool of at most `maxInFlight` connections, one request each: a storm of questions
  // queues here instead of opening thousands of requests against Laravel.
  const pool = new Pool(target.origin, {
    connections: maxInFlight,
    pipelining: 1,
    connect: { timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });

  async function ask({ token, channel }: ChannelQuestion): Promise<ChannelDecision> {
    try {
      const response = await pool.request({
        method: 'POST',
        path: `${target.pathname}${target.search}`,
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${token}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ channel_name: channel, socket_id: socketId() }).toString(),
      });
      const body = await response.body.text();
      if (response.statusCode >= 200 && response.statusCode < 300) {
        return { kind: 'allowed', userInfo: channel.startsWith('presence-') ? userInfoOf(body) : null };
      }
      if (response.statusCode === 401 || response.statusCode === 403) return { kind: 'refused' };
      return { kind: 'unavailable', reason: `Laravel answered ${response.statusCode}` };
    } catch (error) {
      return { kind: 'unavailable', reason: (error as Error).message || (error as Error).name };
    }
  }

  const ttlMs = ttlSeconds * 1000;
  const decisions = new LRUCache<string, ChannelDecision>({ max: maxDecisions, ttl: ttlMs, allowStale: false });
  /** Questions on their way: one per (user, channel), shared by everyone asking meanwhile. */
  const asking = new Map<string, Promise<ChannelDecision>>();
  const keyOf = (userId: string, channel: string) => `${userId}\n${channel}`;

  function refresh(question: ChannelQuestion): Promise<ChannelDecision> {
    const key = keyOf(question.userId, question.channel);
    let answer = asking.get(key);
    if (!answer) {
      answer = ask(question).then((decision) => {
        asking.delete(key);
        onAnswer?.(decision, question.channel);
        if (decision.kind !== 'unavailable') decisions.set(key, decision);
        else if (!decisions.has(key)) decisions.set(key, decision, { ttl: Math.min(UNAVAILABLE_RETRY_MS, ttlMs) });
        return decision;
      });
      asking.set(key, answer);
    }
    return answer;
  }

  return {
    async authorize(question) {
      return decisions.get(keyOf(question.userId, question.channel)) ?? refresh(question);
    },
    refresh,
    peek(userId, channel) {
      const key = keyOf(userId, channel);
      const decision = decisions.get(key);
      return decision && { decision, remainingMs: decisions.getRemainingTTL(key) };
    },
    // Questions still queued are not waited for: they end as unavailable.
    close: () => pool.destroy(),
  };
}
