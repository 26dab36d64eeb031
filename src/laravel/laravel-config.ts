import type { RedisTopology } from '../redis/redis-topology';
import type { ChannelMap } from './channel-map';
import type { PusherCredentials } from './pusher-signature';

/** Laravel's own broadcasters, as configured (src/config/ parses the environment into it). */
export interface LaravelConfig {
  /** LARAVEL_CHANNEL_MAP, or config/laravel-channels.json. */
  readonly channelMap: ChannelMap;
  /** LARAVEL_REDIS_URL (or LARAVEL_REDIS_SENTINELS) and LARAVEL_REDIS_PREFIX: read the `redis` broadcaster. */
  readonly redis?: { readonly topology: RedisTopology; readonly prefix: string };
  /** PUSHER_APP_ID, PUSHER_APP_KEY, PUSHER_APP_SECRET: serve the Pusher HTTP API. */
  readonly pusher?: PusherCredentials;
  /** LARAVEL_AUTH_URL and its bounds: routes/channels.php decides every private and presence channel. */
  readonly auth?: LaravelAuthConfig;
}

export interface LaravelAuthConfig {
  /** LARAVEL_AUTH_URL: Laravel's broadcasting auth route, asked as Echo asks it. */
  readonly url: string;
  /** LARAVEL_AUTH_TTL_SECONDS: how long one (user, channel) decision is reused. */
  readonly ttlSeconds: number;
  /** LARAVEL_AUTH_TIMEOUT_MS: past it, Laravel counts as unavailable (fail closed). */
  readonly timeoutMs: number;
}
