import { readFileSync } from 'node:fs';
import { isolatedLaravelPrefix } from '../utils/laravel';
import { LARAVEL_PACKAGES, PHP, startLaravelFixture, type LaravelFixture } from '../utils/laravel-fixture';
import { freePort } from '../utils/free-port';
import { NGINX, NGINX_SITE, startNginx, type RunningNginx } from '../utils/nginx';
import { describeWithProgram } from '../utils/programs';
import { PUBLISHER_TOKEN, startTestApp, type TestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { connectClient } from '../utils/ws-client';

/**
 * The PHP of README.md, docs/migrating-from-reverb.md and clients/php/README.md that
 * laravel-authorization.test.ts does not already run, run in the fixture application as cut from
 * the markdown (test/fixtures/laravel/bootstrap/doc-snippets.php).
 */
const NOTIFICATION = 'subscription ($userId: ID!) { notification(userId: $userId) { userId type title body url data } }';
const FORUM_ACTIVITY = 'subscription ($forumId: ID) { forumActivity(forumId: $forumId) { kind forumId threadId postId actorId title excerpt url visibility } }';

// The nginx site's secret for the staff preview cookie, which Laravel is given too.
const PREVIEW_SECRET = /secure_link_md5 "[^"]* ([^"]+)";/.exec(readFileSync(NGINX_SITE, 'utf8'))![1]!;

const PUSHER = {
  REALTIME_PUSHER_APP_ID: '1001',
  REALTIME_PUSHER_KEY: 'fixture-key',
  REALTIME_PUSHER_SECRET: 'fixture-secret',
  REALTIME_PUSHER_HOST: 'realtime-1',
};

/** The cookies of a response, by name: value and attributes as Laravel wrote them. */
function cookiesOf(response: Response): Map<string, { value: string; attributes: string }> {
  return new Map(
    response.headers.getSetCookie().map((header) => {
      const [pair, ...attributes] = header.split('; ');
      const [name, value] = pair!.split('=') as [string, string];
      return [name, { value, attributes: attributes.filter((attribute) => !/^(expires|max-age)=/i.test(attribute)).join('; ') }];
    }),
  );
}

describeWithProgram(PHP, LARAVEL_PACKAGES, "the README's and the migration guide's PHP, run in the Laravel 8 fixture application", () => {
  let service: TestApp;
  let laravel: LaravelFixture;

  beforeAll(async () => {
    service = await startTestApp();
    laravel = await startLaravelFixture({
      realtimeUrl: service.origin,
      publisherToken: PUBLISHER_TOKEN,
      jwtSecret: 'laravel-snippets-test-secret',
      redisPrefix: isolatedLaravelPrefix(),
      env: { ...PUSHER, REALTIME_PREVIEW_SECRET: PREVIEW_SECRET },
    });
  });

  const aliceNotifications = async () => {
    const live = service.expectSubscriptions('notification');
    const subscription = connectClient(service.wsUrl, `Bearer ${await userToken(1)}`).subscribe(NOTIFICATION, { userId: '1' });
    await live();
    return subscription;
  };
  /** What README.md, clients/php/README.md and its queued job publish for Mia's reply 6789 in Alice's thread 345 "Gears". */
  const miasReply = () => ({
    userId: '1',
    type: 'thread.reply',
    title: 'Mia replied to Gears',
    body: null,
    url: `${laravel.origin}/threads/345`,
    data: { threadId: 345, postId: 6789 },
  });

  it('README, publishing from Laravel: Http::withToken()->retry(3, 200) publishes the notification, every field as written; a failure is reported, never thrown', async () => {
    const alice = await aliceNotifications();
    await laravel.publishReplyAs('README.md', { user: 1, post: 6789 });
    expect((await alice.next()).data?.['notification']).toEqual(miasReply());

    // Nobody listening: three attempts, then the ConnectionException is reported (Laravel's log), and the request still answers.
    await laravel.publishReplyAs('README.md', { user: 1, post: 6789, services: { url: `http://127.0.0.1:${await freePort()}` } });
    await laravel.logged(/Illuminate\\\\Http\\\\Client\\\\ConnectionException/);
    // A token that is no token: 401, three times, then the RequestException is reported.
    await laravel.publishReplyAs('README.md', { user: 1, post: 6789, services: { publisher_token: 'not-a-token' } });
    await laravel.logged(/Illuminate\\\\Http\\\\Client\\\\RequestException\(code: 401\)/);
    // A user's token, not a publisher's: a 200 with GraphQL errors, reported with the body.
    await laravel.publishReplyAs('README.md', { user: 1, post: 6789, services: { publisher_token: await userToken(1) } });
    await laravel.logged(/realtime publish failed: \{"errors":\[.*"code":"FORBIDDEN"/);
  });

  it("clients/php/README.md's example: RealtimeClient publishes the notification and the forum activity, every field as written", async () => {
    const alice = await aliceNotifications();
    const live = service.expectSubscriptions('forumActivity');
    const member = connectClient(service.wsUrl, `Bearer ${await userToken(2)}`).subscribe(FORUM_ACTIVITY, { forumId: '12' });
    await live();
    await laravel.publishReplyAs('clients/php/README.md', { user: 1, post: 6789 });
    expect((await alice.next()).data?.['notification']).toEqual(miasReply());
    expect((await member.next()).data?.['forumActivity']).toEqual({
      kind: 'POST_CREATED',
      forumId: '12',
      threadId: '345',
      postId: '6789',
      actorId: '42',
      title: '…',
      excerpt: '…',
      url: '…',
      visibility: 'MEMBERS',
    });
  });

  it("clients/php/README.md's queued job: publishes to the thread's author; an unreachable service releases it for later, FORBIDDEN fails it", async () => {
    const alice = await aliceNotifications();
    await laravel.queueReplyNotification(6789);
    expect(await laravel.workQueue()).toEqual({ processed: 1, released: 0, failed: 0 });
    expect((await alice.next()).data?.['notification']).toEqual(miasReply());

    await laravel.queueReplyNotification(6789);
    expect(await laravel.workQueue({ 'services.realtime.url': `http://127.0.0.1:${await freePort()}` })).toEqual({ processed: 0, released: 1, failed: 0 });
    await laravel.queueReplyNotification(6789);
    expect(await laravel.workQueue({ 'services.realtime.publisher_token': await userToken(1) })).toEqual({ processed: 0, released: 0, failed: 1 });
  });

  it("the guide's Pusher connection (step 2b) is config Laravel's BroadcastManager accepts: it builds the pusher broadcaster and hands the Pusher SDK (a recording stand-in: pusher/pusher-php-server is not in Debian) its key, secret, app id and the service's host", async () => {
    expect(await laravel.pusherConnection()).toEqual({
      broadcaster: 'Illuminate\\Broadcasting\\Broadcasters\\PusherBroadcaster',
      pusher: {
        key: PUSHER.REALTIME_PUSHER_KEY,
        secret: PUSHER.REALTIME_PUSHER_SECRET,
        app_id: PUSHER.REALTIME_PUSHER_APP_ID,
        options: { host: 'realtime-1', port: 3000, scheme: 'http', useTLS: false },
      },
    });
  });

  it("the guide's realtime_bucket middleware (step 3): a signed-in user's bucket is the same on every response, an anonymous one keeps the one it was given, unencrypted, for .mechamap.example", async () => {
    const bucketOf = async (user?: number, cookie?: string) => cookiesOf(await laravel.get('/forum', user, cookie)).get('realtime_bucket')!;
    const alice = await bucketOf(1);
    expect(alice).toEqual({ value: expect.stringMatching(/^[0-9a-f]{16}$/), attributes: 'path=/; domain=.mechamap.example; secure; httponly; samesite=lax' });
    expect(await bucketOf(1, 'realtime_bucket=something-else')).toEqual(alice);
    expect((await bucketOf(2)).value).not.toBe(alice.value);

    const anonymous = await bucketOf();
    expect(anonymous.value).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(await bucketOf(undefined, `realtime_bucket=${anonymous.value}`)).toEqual(anonymous);
    expect((await bucketOf()).value).not.toBe(anonymous.value);
  });

  it("the guide's preview cookies (step 0): staff get them for a week, others do not", async () => {
    const mia = cookiesOf(await laravel.get('/forum', 3));
    expect([...mia.keys()]).toEqual(['realtime_bucket', 'realtime_preview', 'realtime_preview_expires']);
    expect(Number(mia.get('realtime_preview_expires')!.value) - Date.now() / 1000).toBeGreaterThan(7 * 86400 - 60);
    expect([...cookiesOf(await laravel.get('/forum', 1)).keys()]).toEqual(['realtime_bucket']);
  });

  describeWithProgram(NGINX, 'nginx', "with the nginx site's split at 0 %", () => {
    let nginx: RunningNginx;
    beforeAll(async () => {
      nginx = await startNginx({ realtime: [new URL(service.origin).host], reverb: '127.0.0.1:9', graphqlPercent: 0 });
    });

    /** What nginx answers a page that sends back the cookies Laravel set. */
    const stackFor = async (cookies: Map<string, { value: string }>) => {
      const cookie = [...cookies].map(([name, { value }]) => `${name}=${value}`).join('; ');
      const response = await fetch(`${nginx.origin}/realtime/stack`, { headers: { cookie } });
      return ((await response.json()) as { stack: string }).stack;
    };

    it("the preview cookies Laravel sets staff pass nginx's secure_link: staff get graphql, a member reverb, and staff's signature on a member's bucket reverb", async () => {
      const mia = cookiesOf(await laravel.get('/forum', 3));
      const alice = cookiesOf(await laravel.get('/forum', 1));
      expect(await stackFor(mia)).toBe('graphql');
      expect(await stackFor(alice)).toBe('reverb');
      expect(await stackFor(new Map([...mia, ['realtime_bucket', alice.get('realtime_bucket')!]]))).toBe('reverb');
    });
  });
});
