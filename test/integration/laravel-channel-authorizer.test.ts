import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createLaravelChannelAuthorizer, type ChannelDecision, type LaravelChannelAuthorizer } from '../../src/laravel/laravel-channel-authorizer';
import { isolatedLaravelPrefix } from '../utils/laravel';
import { LARAVEL_PACKAGES, PHP, startLaravelFixture, type LaravelFixture } from '../utils/laravel-fixture';
import { describeWithProgram } from '../utils/programs';

const JWT_SECRET = 'laravel-channel-authorizer-test-secret';

/** An HTTP server that plays Laravel: counts requests and how many were open at once. */
async function startStub(answer: (request: IncomingMessage, response: ServerResponse, body: string) => void) {
  let open = 0;
  let peak = 0;
  let total = 0;
  const bodies: string[] = [];
  const server: Server = createServer((request, response) => {
    open += 1;
    total += 1;
    peak = Math.max(peak, open);
    response.once('close', () => (open -= 1));
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      bodies.push(body);
      answer(request, response, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/realtime/broadcasting/auth`,
    stats: () => ({ peak, total }),
    bodies,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

describeWithProgram(PHP, LARAVEL_PACKAGES, "the Laravel channel authorizer against a real Laravel's routes/channels.php", () => {
  let laravel: LaravelFixture;
  const authorizers: LaravelChannelAuthorizer[] = [];
  const tokens = new Map<number, string>();
  beforeAll(async () => {
    laravel = await startLaravelFixture({ jwtSecret: JWT_SECRET, redisPrefix: isolatedLaravelPrefix() });
    for (const user of [1, 2, 3]) tokens.set(user, await laravel.token(user));
  });
  afterAll(async () => {
    await Promise.all(authorizers.map((authorizer) => authorizer.close()));
  });
  const authorizer = (
    url: string,
    options: { ttlSeconds?: number; timeoutMs?: number; maxInFlight?: number; onAnswer?: (d: ChannelDecision) => void } = {},
  ) => {
    const created = createLaravelChannelAuthorizer({ url, ttlSeconds: 60, timeoutMs: 3000, ...options });
    authorizers.push(created);
    return created;
  };
  const ask = (subject: LaravelChannelAuthorizer, userId: number, channel: string, token = tokens.get(userId)!) =>
    subject.authorize({ userId: String(userId), token, channel });

  it('asks routes/channels.php: members of a private forum, staff, a user’s own channel', async () => {
    const subject = authorizer(laravel.authUrl);
    const decisions = await Promise.all([
      ask(subject, 1, 'private-forum.7'),
      ask(subject, 2, 'private-forum.7'),
      ask(subject, 2, 'private-forum.1'),
      ask(subject, 3, 'private-staff.forum.7'),
      ask(subject, 1, 'private-staff.forum.7'),
      ask(subject, 1, 'private-App.Models.User.1'),
      ask(subject, 2, 'private-App.Models.User.1'),
    ]);
    expect(decisions.map((decision) => decision.kind)).toEqual(['allowed', 'refused', 'allowed', 'allowed', 'refused', 'allowed', 'refused']);
  });

  it("gives a presence channel's user_info as the callback returned it, and refuses who the callback refuses", async () => {
    const subject = authorizer(laravel.authUrl);
    expect(await ask(subject, 1, 'presence-thread.777')).toEqual({ kind: 'allowed', userInfo: { id: 1, name: 'Alice' } });
    expect(await ask(subject, 3, 'presence-thread.777')).toEqual({ kind: 'allowed', userInfo: { id: 3, name: 'Mia' } });
    expect(await ask(subject, 2, 'presence-thread.777')).toEqual({ kind: 'refused' });
    expect(await ask(subject, 2, 'presence-thread.345')).toEqual({ kind: 'allowed', userInfo: { id: 2, name: 'Bob' } });
  });

  it('is refused for a token the realtime guard does not accept (401)', async () => {
    const subject = authorizer(laravel.authUrl);
    expect(await ask(subject, 1, 'private-forum.7', 'not-a-jwt')).toEqual({ kind: 'refused' });
  });

  it('reuses a decision for the TTL, then asks again: a removed member is refused once it has expired', async () => {
    const answers: ChannelDecision[] = [];
    const subject = authorizer(laravel.authUrl, { ttlSeconds: 1, onAnswer: (decision) => answers.push(decision) });
    expect(await ask(subject, 3, 'private-forum.7')).toEqual({ kind: 'allowed', userInfo: null });
    await laravel.removeMembership(3, 7);
    const removedAt = Date.now();
    expect(await ask(subject, 3, 'private-forum.7')).toEqual({ kind: 'allowed', userInfo: null }); // cached
    expect(answers).toHaveLength(1);
    let decision = await ask(subject, 3, 'private-forum.7');
    while (decision.kind === 'allowed') {
      await new Promise((resolve) => setTimeout(resolve, 50)); // the TTL is a clock: nothing to await but time
      decision = await ask(subject, 3, 'private-forum.7');
    }
    expect(decision).toEqual({ kind: 'refused' });
    expect(Date.now() - removedAt).toBeLessThan(1_500);
    expect(answers).toHaveLength(2);
  });

  it('is unavailable while Laravel is stopped, and allowed again once it is back', async () => {
    const subject = authorizer(laravel.authUrl);
    await laravel.stop();
    try {
      expect(await ask(subject, 1, 'private-forum.1')).toMatchObject({ kind: 'unavailable' });
    } finally {
      await laravel.start();
    }
    let decision = await ask(subject, 1, 'private-forum.1');
    while (decision.kind === 'unavailable') {
      await new Promise((resolve) => setTimeout(resolve, 100)); // an unavailable answer is reused for a second
      decision = await ask(subject, 1, 'private-forum.1');
    }
    expect(decision.kind).toBe('allowed');
  });

  it('sends what Echo sends: channel_name with its prefix, a digits.digits socket_id, Accept: application/json, the bearer JWT', async () => {
    const seen: IncomingMessage[] = [];
    const stub = await startStub((request, response) => {
      seen.push(request);
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"channel_data":"{\\"user_id\\":5,\\"user_info\\":{\\"name\\":\\"Pusher-style\\"}}"}');
    });
    try {
      const subject = authorizer(stub.url);
      expect(await ask(subject, 5, 'presence-thread.9', 'the.jwt.itself')).toEqual({ kind: 'allowed', userInfo: { name: 'Pusher-style' } });
      const form = new URLSearchParams(stub.bodies[0]);
      expect(form.get('channel_name')).toBe('presence-thread.9');
      expect(form.get('socket_id')).toMatch(/^\d+\.\d+$/);
      expect(seen[0]!.url).toBe('/realtime/broadcasting/auth');
      expect(seen[0]!.headers['accept']).toBe('application/json');
      expect(seen[0]!.headers['authorization']).toBe('Bearer the.jwt.itself');
      expect(seen[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    } finally {
      await stub.close();
    }
  });

  it('counts a 500 and an answer slower than LARAVEL_AUTH_TIMEOUT_MS as unavailable', async () => {
    const failing = await startStub((_request, response) => response.writeHead(500).end('boom'));
    const silent = await startStub(() => undefined);
    try {
      expect(await ask(authorizer(failing.url), 1, 'private-forum.1', 't')).toEqual({ kind: 'unavailable', reason: 'Laravel answered 500' });
      const started = Date.now();
      expect(await ask(authorizer(silent.url, { timeoutMs: 300 }), 1, 'private-forum.1', 't')).toMatchObject({ kind: 'unavailable' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await Promise.all([failing.close(), silent.close()]);
    }
  });

  it('a reconnect storm of 2,000 users × 3 channels, two tabs each: one question per (user, channel), never more than 32 at once', async () => {
    const stub = await startStub((_request, response) => setTimeout(() => response.writeHead(200).end('true'), 1));
    try {
      const subject = authorizer(stub.url, { maxInFlight: 32 });
      const questions = [];
      for (let user = 0; user < 2_000; user += 1) {
        for (const channel of ['private-forum.1', 'private-forum.2', 'private-App.Models.User.' + user]) {
          // Every user's two tabs ask at the same moment.
          questions.push(ask(subject, user, channel, 't'), ask(subject, user, channel, 't'));
        }
      }
      const decisions = await Promise.all(questions);
      expect(decisions.every((decision) => decision.kind === 'allowed')).toBe(true);
      expect(stub.stats().total).toBe(6_000);
      expect(stub.stats().peak).toBeLessThanOrEqual(32);
    } finally {
      await stub.close();
    }
  }, 120_000);
});
