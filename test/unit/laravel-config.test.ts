import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/load-config';

const expectConfigError = (env: Record<string, string>, message: string) => {
  expect(() => loadConfig(env)).toThrow(ConfigError);
  expect(() => loadConfig(env)).toThrow(message);
};

describe("loadConfig: Laravel's broadcasters", () => {
  it('leaves them off by default', () => {
    expect(loadConfig({}).laravel).toBeUndefined();
  });

  it('reads the redis broadcaster and the Pusher credentials, with the default channel map', () => {
    const config = loadConfig({
      LARAVEL_REDIS_URL: 'redis://laravel:6379/0',
      LARAVEL_REDIS_PREFIX: 'mechamap-database-',
      PUSHER_APP_ID: '1001',
      PUSHER_APP_KEY: 'key',
      PUSHER_APP_SECRET: 'secret',
    });
    expect(config.laravel).toMatchObject({
      redis: { topology: { kind: 'single', url: 'redis://laravel:6379/0' }, prefix: 'mechamap-database-' },
      pusher: { appId: '1001', key: 'key', secret: 'secret' },
    });
    expect(config.laravel!.channelMap.forumEvents.get('ThreadCreated')).toBe('THREAD_CREATED');
    expect(Object.isFrozen(config.laravel)).toBe(true);
  });

  it('refuses half a configuration, each time naming the variable', () => {
    expectConfigError({ LARAVEL_REDIS_URL: 'redis://laravel:6379' }, 'LARAVEL_REDIS_PREFIX must be set with LARAVEL_REDIS_URL');
    expectConfigError({ LARAVEL_REDIS_PREFIX: 'laravel_database_' }, 'LARAVEL_REDIS_PREFIX is set but LARAVEL_REDIS_URL is not');
    expectConfigError({ LARAVEL_REDIS_URL: 'http://laravel', LARAVEL_REDIS_PREFIX: 'p' }, 'LARAVEL_REDIS_URL must start with redis://');
    expectConfigError({ PUSHER_APP_ID: '1', PUSHER_APP_SECRET: 's' }, 'PUSHER_APP_KEY must be set together with PUSHER_APP_ID and PUSHER_APP_SECRET');
  });

  it("refuses a Laravel prefix that would read the service's own channels", () => {
    expectConfigError(
      { REDIS_URL: 'redis://r:6379', REDIS_KEY_PREFIX: 'app-realtime:', LARAVEL_REDIS_URL: 'redis://r:6379', LARAVEL_REDIS_PREFIX: 'app-' },
      'LARAVEL_REDIS_PREFIX ("app-") must not begin REDIS_KEY_PREFIX',
    );
  });

  it('names LARAVEL_CHANNEL_MAP when its file is missing, not JSON, or invalid', () => {
    const directory = mkdtempSync(join(tmpdir(), 'channel-map-'));
    const write = (name: string, text: string) => {
      writeFileSync(join(directory, name), text);
      return join(directory, name);
    };
    const pusher = { PUSHER_APP_ID: '1', PUSHER_APP_KEY: 'k', PUSHER_APP_SECRET: 's' };
    expectConfigError({ ...pusher, LARAVEL_CHANNEL_MAP: join(directory, 'absent.json') }, 'LARAVEL_CHANNEL_MAP names a file that cannot be read as JSON');
    expectConfigError({ ...pusher, LARAVEL_CHANNEL_MAP: write('broken.json', '{') }, 'LARAVEL_CHANNEL_MAP names a file that cannot be read as JSON');
    expectConfigError(
      {
        LARAVEL_CHANNEL_MAP: write(
          'bad.json',
          '{"notifications":{"channels":["u.{userId}"],"events":["N"]},"forumChannels":[{"channel":"f.{forumId}","visibility":"PUBLIC"}],"forumEvents":{"X":"NOPE"}}',
        ),
      },
      'LARAVEL_CHANNEL_MAP names an invalid channel map',
    );
  });
});

describe('loadConfig: Laravel authorization (LARAVEL_AUTH_*)', () => {
  it('is off without LARAVEL_AUTH_URL', () => {
    expect(loadConfig({ LARAVEL_AUTH_TTL_SECONDS: '5' }).laravel).toBeUndefined();
  });

  it('reads the URL with the default TTL (60 s) and timeout (3000 ms), and the channel map it reads backwards', () => {
    const config = loadConfig({ LARAVEL_AUTH_URL: 'https://mechamap.example/realtime/broadcasting/auth' });
    expect(config.laravel?.auth).toEqual({ url: 'https://mechamap.example/realtime/broadcasting/auth', ttlSeconds: 60, timeoutMs: 3000 });
    expect(config.laravel?.redis).toBeUndefined();
    expect(config.laravel?.channelMap.forumChannels.length).toBeGreaterThan(0);
  });

  it('reads LARAVEL_AUTH_TTL_SECONDS and LARAVEL_AUTH_TIMEOUT_MS', () => {
    const config = loadConfig({ LARAVEL_AUTH_URL: 'http://laravel/realtime/broadcasting/auth', LARAVEL_AUTH_TTL_SECONDS: '5', LARAVEL_AUTH_TIMEOUT_MS: '800' });
    expect(config.laravel?.auth).toMatchObject({ ttlSeconds: 5, timeoutMs: 800 });
  });

  it('names the variable that is wrong', () => {
    expectConfigError({ LARAVEL_AUTH_URL: 'laravel/broadcasting/auth' }, 'LARAVEL_AUTH_URL is not a URL');
    expectConfigError({ LARAVEL_AUTH_URL: 'ftp://laravel/auth' }, 'LARAVEL_AUTH_URL must start with http:// or https://');
    expectConfigError(
      { LARAVEL_AUTH_URL: 'http://laravel/auth', LARAVEL_AUTH_TTL_SECONDS: '0' },
      'LARAVEL_AUTH_TTL_SECONDS must be an integer from 1 to 86400',
    );
    expectConfigError(
      { LARAVEL_AUTH_URL: 'http://laravel/auth', LARAVEL_AUTH_TIMEOUT_MS: 'soon' },
      'LARAVEL_AUTH_TIMEOUT_MS must be an integer from 50 to 60000',
    );
  });
});
