import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port';
import { pollUntil } from './poll';
import { findProgram } from './programs';

export const PHP = findProgram('php');

/** What the fixture needs from Debian, for describeWithProgram and .ci/run. */
export const LARAVEL_PACKAGES = 'php-cli php-curl php-guzzlehttp-guzzle php-laravel-framework php-redis php-sqlite3';

/** True when php and Laravel's framework (Debian's php-laravel-framework, php-guzzlehttp-guzzle, php-redis, php-sqlite3) are all there. */
export async function laravelAvailable(): Promise<boolean> {
  if (!PHP) return false;
  const check = `require 'Illuminate/autoload.php'; exit(class_exists('Illuminate\\\\Foundation\\\\Application') && stream_resolve_include_path('GuzzleHttp/autoload.php') && extension_loaded('redis') && extension_loaded('pdo_sqlite') ? 0 : 1);`;
  return promisify(execFile)(PHP, ['-r', check]).then(
    () => true,
    () => false,
  );
}

const FIXTURE = join(__dirname, '..', 'fixtures', 'laravel');

export interface LaravelFixtureOptions {
  /** The service's GraphQL origin, for clients/php inside the app (`services.realtime.url`). */
  readonly realtimeUrl?: string;
  readonly publisherToken?: string;
  /** The service's JWT_SECRET (`services.realtime.jwt_secret`). */
  readonly jwtSecret: string;
  /** Laravel's `database.redis.options.prefix`: the service's LARAVEL_REDIS_PREFIX. */
  readonly redisPrefix: string;
  /** Where to serve (a free port by default): a service started first can be told LARAVEL_AUTH_URL. */
  readonly port?: number;
  /** More of the application's environment (REALTIME_PUSHER_*, REALTIME_PREVIEW_SECRET). */
  readonly env?: Readonly<Record<string, string>>;
}

/** A post, made in memory by the application. */
export interface FixturePost {
  readonly forumId: number;
  readonly threadId: number;
  readonly postId: number;
  readonly actorId: number;
  readonly title: string;
  readonly excerpt: string;
  readonly url: string;
}

export interface BroadcastRequest extends FixturePost {
  readonly channel: string;
  /** `broadcastVia(...)`: one connection name or several; Laravel's default connection when absent. */
  readonly connection?: string | readonly string[];
}

/**
 * The real Laravel of test/fixtures/laravel (Debian's Laravel 8, its redis broadcaster, SQLite),
 * served by `php -S` on a free port. Users: 1 Alice (member of private forum 7), 2 Bob (no
 * membership), 3 Mia (moderator, member of 7); forum 1 is public; thread 345 is in forum 1,
 * thread 777 in forum 7.
 */
export interface LaravelFixture {
  readonly origin: string;
  /** LARAVEL_AUTH_URL: `Broadcast::routes(['prefix' => 'realtime', …])`. */
  readonly authUrl: string;
  /** GET /realtime/token as the signed-in user: the JWT the token route issues. */
  token(userId: number): Promise<string>;
  /**
   * `$user->notify(...)` of a notification whose `toArray()` is `content`: through Laravel's
   * `broadcast` channel alone, or through the migration guide's via() (`split`: `database`,
   * `broadcast` to Reverb's connection, played by `log`, and RealtimeChannel, clients/php).
   */
  notify(userId: number, via: 'broadcast' | 'split', content: Record<string, unknown>): Promise<void>;
  /** `$user->notifications()->find($id)->markAsRead()`: resolves with the row's read_at. */
  markRead(userId: number, notificationId: string): Promise<string | null>;
  /** `broadcast(new PostCreated($post, $channel))`. */
  broadcast(request: BroadcastRequest): Promise<void>;
  /** The guide's two broadcastVia() lines, queued on the `database` queue; resolves with the jobs queued. */
  broadcastVia(defaultConnection: 'log' | 'unreachable', post: FixturePost): Promise<number>;
  /** clients/php/README.md's PublishReplyNotification of reply `postId`, queued on the `database` queue. */
  queueReplyNotification(postId: number): Promise<void>;
  /** Works the `database` queue until no job is available, each job tried as its `$tries` allow, with `config` set first (dotted keys). */
  workQueue(config?: Record<string, unknown>): Promise<{ processed: number; released: number; failed: number }>;
  /** Reply `post` published for `user` as `document` shows it; `services` overrides config('services.realtime'). */
  publishReplyAs(document: 'README.md' | 'clients/php/README.md', request: { user: number; post: number; services?: Record<string, string> }): Promise<void>;
  /** The guide's Pusher connection, resolved by Laravel's BroadcastManager with a stand-in for the Pusher SDK. */
  pusherConnection(): Promise<{ broadcaster: string; pusher: { key: string; secret: string; app_id: string; options: Record<string, unknown> } }>;
  /** GET `path` as `user` (anonymous without), with `cookie` sent. */
  get(path: string, user?: number, cookie?: string): Promise<Response>;
  /**
   * `broadcast(new ThreadCreated(...))`, whose broadcastConnections() is `[null, 'realtime']`, with
   * `defaultConnection` as the default (`log` plays Reverb, `unreachable` a Reverb that is down).
   * Resolves with Laravel's HTTP status.
   */
  splitBroadcast(defaultConnection: 'log' | 'unreachable', forumId: number, threadId: number, title: string): Promise<number>;
  /** RealtimeClient::publishForumActivity from inside the app (the service provider's singleton). */
  publishForumActivity(input: Record<string, unknown>): Promise<{ id: string; publishedAt: string }>;
  /** Deletes a row of forum_members. */
  removeMembership(userId: number, forumId: number): Promise<void>;
  /** Stops `php -S` (Laravel unavailable); `start()` serves again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** What PHP wrote to stderr (Laravel's log), for a failing test's message. */
  log(): string;
  /** Resolves once Laravel's log matches `pattern` (it reaches the test through a pipe, after the HTTP answer may have). */
  logged(pattern: RegExp): Promise<void>;
}

const running = new Set<LaravelFixture>();
const directories = new Set<string>();
afterAll(async () => {
  await Promise.all([...running].map((fixture) => fixture.stop()));
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});

export async function startLaravelFixture(options: LaravelFixtureOptions): Promise<LaravelFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'mechamap-laravel-'));
  directories.add(dir);
  const database = join(dir, 'database.sqlite');
  await promisify(execFile)(PHP ?? 'php', [join(FIXTURE, 'database', 'seed.php'), database]);
  const port = options.port ?? (await freePort());
  const origin = `http://127.0.0.1:${port}`;
  const env = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    DB_DATABASE: database,
    REDIS_PREFIX: options.redisPrefix,
    REALTIME_URL: options.realtimeUrl ?? 'http://127.0.0.1:1',
    REALTIME_PUBLISHER_TOKEN: options.publisherToken ?? '',
    REALTIME_JWT_SECRET: options.jwtSecret,
    // The README's and the guide's PHP, cut from the markdown (bootstrap/doc-snippets.php).
    DOC_SNIPPETS_DIR: dir,
    ...options.env,
    // Laravel's bootstrap caches go to the test's directory, never into the repository.
    APP_SERVICES_CACHE: join(dir, 'services.php'),
    APP_PACKAGES_CACHE: join(dir, 'packages.php'),
    APP_CONFIG_CACHE: join(dir, 'config.php'),
    APP_ROUTES_CACHE: join(dir, 'routes.php'),
    APP_EVENTS_CACHE: join(dir, 'events.php'),
    // Several requests at once: the service asks for many (user, channel) pairs in parallel.
    PHP_CLI_SERVER_WORKERS: '4',
  };
  let server: ChildProcess | null = null;
  let output = '';

  const post = async (path: string, body: unknown): Promise<unknown> => {
    const response = await fetch(`${origin}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`Laravel answered ${response.status} to ${path}: ${text.slice(0, 500)}\n${output.slice(-2000)}`);
    return JSON.parse(text);
  };

  const fixture: LaravelFixture = {
    origin,
    authUrl: `${origin}/realtime/broadcasting/auth`,
    async token(userId) {
      const response = await fixture.get('/realtime/token', userId);
      if (!response.ok) throw new Error(`the token route answered ${response.status}: ${await response.text()}`);
      return ((await response.json()) as { token: string }).token;
    },
    async notify(userId, via, content) {
      await post('/_fixture/notify', { user: userId, via, content });
    },
    async markRead(userId, notificationId) {
      return ((await post('/_fixture/notifications/mark-read', { user: userId, id: notificationId })) as { readAt: string | null }).readAt;
    },
    async broadcast(request) {
      await post('/_fixture/broadcast', request);
    },
    async broadcastVia(defaultConnection, request) {
      return ((await post('/_fixture/broadcast-via', { default: defaultConnection, ...request })) as { queued: number }).queued;
    },
    async queueReplyNotification(postId) {
      await post('/_fixture/publish-reply', { post: postId });
    },
    async workQueue(config = {}) {
      return (await post('/_fixture/work-queue', { config })) as { processed: number; released: number; failed: number };
    },
    async publishReplyAs(document, request) {
      await post('/_fixture/publish-reply-as', { document, ...request });
    },
    async pusherConnection() {
      const response = await fixture.get('/_fixture/pusher-connection');
      const text = await response.text();
      if (!response.ok) throw new Error(`Laravel answered ${response.status} to /_fixture/pusher-connection: ${text.slice(0, 500)}\n${output.slice(-2000)}`);
      return JSON.parse(text) as Awaited<ReturnType<LaravelFixture['pusherConnection']>>;
    },
    get(path, user, cookie) {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (user !== undefined) headers['x-fixture-user'] = String(user);
      if (cookie !== undefined) headers['cookie'] = cookie;
      return fetch(`${origin}${path}`, { headers });
    },
    async splitBroadcast(defaultConnection, forumId, threadId, title) {
      const response = await fetch(`${origin}/_fixture/split-broadcast`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ default: defaultConnection, forumId, threadId, title }),
      });
      await response.text();
      return response.status;
    },
    async publishForumActivity(input) {
      return (await post('/_fixture/publish-activity', { input })) as { id: string; publishedAt: string };
    },
    async removeMembership(userId, forumId) {
      const { removed } = (await post('/_fixture/memberships/remove', { user: userId, forum: forumId })) as { removed: number };
      if (removed !== 1) throw new Error(`user ${userId} was not a member of forum ${forumId}`);
    },
    async start() {
      if (server) return;
      const started = spawn(PHP ?? 'php', ['-S', `127.0.0.1:${port}`, '-t', 'public', 'public/index.php'], {
        cwd: FIXTURE,
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
        // Its own process group, so that stop() ends the server and its workers, and nothing else.
        detached: true,
      });
      server = started;
      running.add(fixture);
      await new Promise<void>((resolve, reject) => {
        started.stderr.setEncoding('utf8').on('data', (chunk: string) => {
          output += chunk;
          if (/Development Server \(.*\) started/.test(output)) resolve();
        });
        started.once('exit', (code) => reject(new Error(`php -S exited with ${code}: ${output}`)));
      });
    },
    async stop() {
      const stopping = server;
      if (!stopping) return;
      server = null;
      running.delete(fixture);
      const exited = new Promise((resolve) => stopping.once('exit', resolve));
      process.kill(-stopping.pid!, 'SIGTERM');
      await exited;
    },
    log: () => output,
    async logged(pattern) {
      await pollUntil(() => output, { until: (log) => pattern.test(log), what: `Laravel's log to match ${pattern}` });
    },
  };
  await fixture.start();
  return fixture;
}
