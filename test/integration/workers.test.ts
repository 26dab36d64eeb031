import { postGraphQL } from '../utils/http';
import { PUBLISH_NOTIFICATION } from '../utils/operations';
import { pollUntil } from '../utils/poll';
import { freePort } from '../utils/free-port';
import { isolatedPrefix, REDIS_URL } from '../utils/redis';
import { resumingSubscriber } from '../utils/resuming-subscriber';
import { runService, waitForLiveSubscriptions } from '../utils/service-process';
import { PUBLISHER_TOKEN } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { connectClient } from '../utils/ws-client';

const WORKERS = 3;
type LogEntry = { msg: string; pid: number; workerPid?: number; [field: string]: unknown };

/** `npm start` with WORKERS: one primary, WORKERS processes serving one port. */
async function startWorkerGroup() {
  const port = await freePort();
  const service = runService({
    PORT: String(port),
    LOG_LEVEL: 'info',
    WORKERS: String(WORKERS),
    REDIS_URL,
    REDIS_KEY_PREFIX: isolatedPrefix(),
    REPLAY_MAX_PER_USER: '10000',
  });
  const entries = (): LogEntry[] =>
    service
      .output()
      .stdout.split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogEntry);
  /** Resolves with the log entries once `count` of them match. */
  const waitForLog = (match: (entry: LogEntry) => boolean, count = 1) =>
    new Promise<LogEntry[]>((resolve, reject) => {
      const check = () => {
        const found = entries().filter(match);
        if (found.length < count) return;
        service.child.stdout!.off('data', check);
        resolve(found);
      };
      service.child.stdout!.on('data', check);
      void service.exited.then((code) => reject(new Error(`the primary exited with ${code}: ${service.output().stderr}`)));
      check();
    });
  await waitForLog((entry) => entry.msg === 'every worker listening');
  const origin = `http://127.0.0.1:${port}`;
  const workerPids = () => {
    const started = entries().filter((entry) => entry.msg === 'worker started');
    const gone = new Set(entries().flatMap((entry) => [entry['retired'], entry.msg === 'a worker died; replacing it' ? entry.workerPid : undefined]));
    return started.map((entry) => entry.workerPid!).filter((pid) => !gone.has(pid));
  };
  return { ...service, origin, url: `${origin}/graphql`, wsUrl: `ws://127.0.0.1:${port}/graphql`, entries, waitForLog, workerPids };
}

/** Publishes to `userId` one after another until stopped; a publish that fails at the socket (a worker closing) is sent again. */
function publishUntilStopped(url: string, userId: string) {
  const accepted: string[] = [];
  const refused: unknown[] = [];
  /** Publishes whose connection broke before the answer (a worker draining): they may or may not have landed. */
  const unanswered: string[] = [];
  let stopped = false;
  const done = (async () => {
    for (let index = 0; !stopped; index += 1) {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        // A title per attempt: a retried publish is a notification of its own if the first landed too.
        const title = `${index}.${attempt}`;
        const answer = await postGraphQL(url, PUBLISH_NOTIFICATION, { input: { userId, type: 't', title } }, PUBLISHER_TOKEN).catch(() => undefined);
        if (answer === undefined) {
          unanswered.push(title);
          continue;
        }
        if (answer.data) accepted.push(title);
        else refused.push(answer.errors);
        break;
      }
    }
  })();
  return {
    accepted,
    refused,
    unanswered,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

describe(`WORKERS=${WORKERS}: one port, ${WORKERS} worker processes`, () => {
  jest.setTimeout(90_000);
  let group: Awaited<ReturnType<typeof startWorkerGroup>>;
  beforeAll(async () => {
    group = await startWorkerGroup();
  }, 60_000);
  afterAll(() => group.child.kill('SIGKILL'));

  it('answers /metrics for the whole group, whichever worker the scrape reaches', async () => {
    const token = `Bearer ${await userToken(60)}`;
    const clients = Array.from({ length: 2 * WORKERS }, () => connectClient(group.wsUrl, token));
    for (const client of clients) client.subscribe('subscription { notification(userId: "60") { id } }');
    await waitForLiveSubscriptions(group.origin, 'notification', 2 * WORKERS);
    for (let scrape = 0; scrape < 2 * WORKERS; scrape += 1) {
      const text = await (await fetch(`${group.origin}/metrics`)).text();
      expect(text.split('\n')).toContain(`realtime_websocket_connections ${2 * WORKERS}`);
    }
    await Promise.all(clients.map((client) => client.dispose()));
    await waitForLiveSubscriptions(group.origin, 'notification', 0);
  });

  it('replaces a worker that dies, saying so', async () => {
    const [victim] = group.workerPids();
    process.kill(victim!, 'SIGKILL');
    const [died] = await group.waitForLog((entry) => entry.msg === 'a worker died; replacing it' && entry.workerPid === victim);
    expect(died).toMatchObject({ signal: 'SIGKILL', restartInMs: expect.any(Number) });
    await group.waitForLog((entry) => entry.msg === 'worker started', WORKERS + 1);
    const answer = await postGraphQL(group.url, PUBLISH_NOTIFICATION, { input: { userId: '61', type: 't', title: 'still serving' } }, PUBLISHER_TOKEN);
    expect(answer.data).toBeTruthy();
  });

  it('replaces every worker one at a time on SIGHUP: clients are told 1012, resume with `after`, and miss nothing', async () => {
    const before = group.workerPids();
    const token = await userToken(62);
    const watcher = connectClient(group.wsUrl, `Bearer ${token}`);
    watcher.subscribe('subscription { notification(userId: "62") { id } }');
    const subscribers = Array.from({ length: WORKERS }, () => resumingSubscriber([group.wsUrl], '62', token));
    await waitForLiveSubscriptions(group.origin, 'notification', WORKERS + 1);

    const publishing = publishUntilStopped(group.url, '62');
    const replaced = group.waitForLog((entry) => entry.msg === 'every worker replaced');
    group.child.kill('SIGHUP');
    await replaced;
    await publishing.stop();

    expect((await watcher.closed).code).toBe(1012);
    expect(publishing.refused).toEqual([]);
    expect(publishing.accepted.length).toBeGreaterThan(0);
    for (const subscriber of subscribers) {
      await subscriber.received(publishing.accepted.length);
      // Every accepted notification, once, in order; beside them only publishes whose answer was lost.
      const acceptedSeen = () => subscriber.titles.filter((title) => !publishing.unanswered.includes(title));
      await pollUntil(acceptedSeen, { until: (seen) => seen.length >= publishing.accepted.length, what: 'every accepted notification received' });
      expect(acceptedSeen()).toEqual(publishing.accepted);
      expect(subscriber.titles.filter((title) => publishing.unanswered.includes(title)).length).toBeLessThanOrEqual(publishing.unanswered.length);
      expect(subscriber.connections()).toBeGreaterThanOrEqual(2);
      await subscriber.dispose();
    }
    const after = group.workerPids();
    expect(after).toHaveLength(WORKERS);
    expect(after.filter((pid) => before.includes(pid))).toEqual([]);
    const replacements = group.entries().filter((entry) => entry.msg === 'worker replaced');
    expect(replacements.map((entry) => entry['retired']).sort()).toEqual([...before].sort());
  });

  it('on SIGTERM, drains every worker (1012) and exits 0', async () => {
    const client = connectClient(group.wsUrl, `Bearer ${await userToken(63)}`);
    client.subscribe('subscription { notification(userId: "63") { id } }');
    await waitForLiveSubscriptions(group.origin, 'notification', 1);
    group.child.kill('SIGTERM');
    expect((await client.closed).code).toBe(1012);
    expect(await group.exited).toBe(0);
    expect(group.entries().map((entry) => entry.msg)).toContain('every worker stopped');
  });
});
