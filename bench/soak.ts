/**
 * The soak of issue 3: minutes of churn against one service process — clients connecting,
 * subscribing, leaving (cleanly or not) and coming back, resuming `notification(userId, after)`
 * from the last id they saw — while events are published at a steady rate. It samples the
 * service's RSS and heap all along and checks, user by user, that every notification the service
 * accepted reached that user's client exactly once and in order across its reconnects.
 * `runSoak` is the programmatic entry (the smoke test calls it); soak-run.ts is the command line.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { availableParallelism, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEVELOPMENT_JWT_SECRET, DEVELOPMENT_PUBLISHER_TOKEN } from '../src/config/config';
import { compareStreamPositions } from '../src/history/stream-position';
import { startClientWorker, type ClientWorker } from './client-pool';
import { atRate, sum } from './load';
import { describeMachine, describeSource, readCpuMs, readRssKiB } from './proc';
import { createPublisher, type Publisher } from './publisher';
import { liveSubscriptions, openConnections, scrapeMetrics, waitForLive, waitForMetric } from './server-metrics';
import { stopRun, withServiceOutput } from './run-teardown';
import { describeMode, startServer, targetServer, type ServerUnderTest } from './server-process';
import type { CollectReply, ConnectAllReply, SettleReply, SoakRequest } from './soak-protocol';
import { DEFAULT_SOAK_OPTIONS, type SoakOptions } from './soak-options';
import { verdictOf, type SoakReport, type SoakSample } from './soak-report';
import { round } from './stats';

const FORUM_ID = 'soak-forum';
/** How long, once publishing stopped, every client has to come back and receive what it missed. */
const SETTLE_TIMEOUT_MS = 60_000;
const MAX_SAMPLES_KEPT = 20;

/** How long clients stay and stay away, scaled to the run so that short runs churn too. */
function churnPlanFor(options: SoakOptions) {
  const meanOnlineMs = Math.min(60, options.duration / 5) * 1000;
  const meanAwayMs = Math.min(10, options.duration / 20) * 1000;
  return {
    onlineMs: [0.2 * meanOnlineMs, 1.8 * meanOnlineMs] as const,
    awayMs: [0.2 * meanAwayMs, 1.8 * meanAwayMs] as const,
    cleanCloseShare: options.cleanCloseShare,
  };
}

/** The users, spread over the workers in turn; every 1/forumSubscriberShare-th one also follows the forum. */
function assignUsers(options: SoakOptions, tag: string) {
  const perWorker = Array.from({ length: options.workers }, () => [] as Array<{ userId: string; forum: boolean }>);
  for (let i = 0; i < options.clients; i++) {
    const forum = Math.floor((i + 1) * options.forumSubscriberShare) > Math.floor(i * options.forumSubscriberShare);
    perWorker[i % options.workers]!.push({ userId: `${tag}-${i}`, forum });
  }
  return perWorker;
}

export async function runSoak(overrides: Partial<SoakOptions> = {}): Promise<SoakReport> {
  const options: SoakOptions = { ...DEFAULT_SOAK_OPTIONS, ...overrides };
  const log = options.verbose ? (line: string) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}\n`) : () => undefined;
  // A fifth: at the default load the RSS grew to its plateau within 50 s in one 10-minute run and
  // 90 s in another (the heap growing to its working size), so 60 s was not always enough.
  const warmupSeconds = options.warmup ?? options.duration / 5;
  const sampleEverySeconds = options.sampleEvery ?? Math.min(10, Math.max(1, options.duration / 10));
  const problems: string[] = [];
  const startedAt = new Date();
  const startsServer = options.url === undefined;

  log(
    startsServer
      ? `starting the service (${options.server}, ${options.redisUrl}, REPLAY_MAX_PER_USER=${options.replayMaxPerUser})`
      : `targeting ${options.url}`,
  );
  const server: ServerUnderTest = startsServer
    ? await startServer({
        mode: options.server,
        redisUrl: options.redisUrl,
        namespace: 'soak',
        env: { REPLAY_MAX_PER_USER: String(options.replayMaxPerUser) },
      })
    : targetServer(options.url, options.pid);
  const pid = server.pid;
  const workers: Array<ClientWorker<SoakRequest>> = [];
  let publisher: Publisher | undefined;

  let lastCpu = { at: performance.now(), ms: pid === undefined ? Number.NaN : readCpuMs(pid) };
  const sample = async (atSeconds: number): Promise<SoakSample> => {
    const metrics = await scrapeMetrics(server.origin);
    const now = { at: performance.now(), ms: pid === undefined ? Number.NaN : readCpuMs(pid) };
    const cpuPercent = round(((now.ms - lastCpu.ms) / (now.at - lastCpu.at)) * 100, 1);
    lastCpu = now;
    return {
      atSeconds: round(atSeconds, 1),
      rssKiB: pid === undefined ? Number.NaN : readRssKiB(pid),
      heapUsedMiB: round((metrics.get('nodejs_heap_size_used_bytes') ?? Number.NaN) / 2 ** 20),
      connections: metrics.get('realtime_websocket_connections') ?? Number.NaN,
      notificationSubscriptions: liveSubscriptions(metrics, 'notification'),
      forumSubscriptions: liveSubscriptions(metrics, 'forumActivity'),
      cpuPercent,
      loadAverage: round(loadavg()[0] ?? Number.NaN),
    };
  };

  try {
    const tag = `s${randomBytes(4).toString('hex')}`;
    for (let w = 0; w < options.workers; w++) workers.push(await startClientWorker<SoakRequest>(w, 'soak-worker.ts'));
    const usersPerWorker = assignUsers(options, tag);
    const userIds = usersPerWorker.flat().map(({ userId }) => userId);
    const jwtSecret = options.jwtSecret ?? DEVELOPMENT_JWT_SECRET;
    publisher = createPublisher(server.url, options.publisherToken ?? DEVELOPMENT_PUBLISHER_TOKEN, 32);
    const localAddress = (w: number) => (new URL(server.url).hostname === '127.0.0.1' ? `127.0.0.${20 + w}` : undefined);

    // Everyone connects and subscribes once; nothing is published before every subscription is live.
    const before = await scrapeMetrics(server.origin);
    log(`connecting ${options.clients} clients from ${options.workers} client processes`);
    const connected = await Promise.all(
      workers.map((worker, w) =>
        worker.ask<ConnectAllReply>({
          type: 'connectAll',
          wsUrl: server.wsUrl,
          users: usersPerWorker[w]!,
          forumId: FORUM_ID,
          jwtSecret,
          localAddress: localAddress(w),
        }),
      ),
    );
    const initiallySubscribed = sum(connected.map((reply) => reply.subscribed));
    for (const reply of connected) for (const failure of reply.failures) problems.push(`first connect: ${failure}`);
    const forumSubscribers = usersPerWorker.flat().filter((user) => user.forum).length;
    const liveTimeoutMs = 60_000 + options.clients * 10;
    const liveNotification =
      (await waitForLive(server.origin, 'notification', (live) => live >= liveSubscriptions(before, 'notification') + initiallySubscribed, liveTimeoutMs)) -
      liveSubscriptions(before, 'notification');
    const liveForum =
      (await waitForLive(server.origin, 'forumActivity', (live) => live >= liveSubscriptions(before, 'forumActivity') + forumSubscribers, liveTimeoutMs)) -
      liveSubscriptions(before, 'forumActivity');
    if (initiallySubscribed < options.clients) problems.push(`only ${initiallySubscribed} of ${options.clients} clients subscribed the first time`);
    if (liveNotification < initiallySubscribed) problems.push(`only ${liveNotification} of ${initiallySubscribed} notification subscriptions became live`);
    if (liveForum < forumSubscribers) problems.push(`only ${liveForum} of ${forumSubscribers} forumActivity subscriptions became live`);
    log(
      `${liveNotification} notification and ${liveForum} forumActivity subscriptions live; churn and ${options.rate} events/s for ${options.duration} s (warm-up ${round(warmupSeconds, 1)} s)`,
    );

    // The churn and the publishing run together; the curve is sampled beside them.
    const plan = churnPlanFor(options);
    await Promise.all(workers.map((worker) => worker.ask({ type: 'startChurn', plan })));
    const accepted = new Map<string, string[]>(userIds.map((userId) => [userId, []]));
    const publishErrorSamples: string[] = [];
    let notificationsSent = 0;
    let forumSent = 0;
    let forumAccepted = 0;
    let publishErrors = 0;
    const publish = async (seq: number) => {
      const sentAt = Date.now();
      if (Math.random() < options.forumShare) {
        forumSent += 1;
        const answer = await publisher!.publish('publishForumActivity', {
          kind: 'POST_CREATED',
          forumId: FORUM_ID,
          threadId: '1',
          postId: String(seq),
          actorId: '1',
          title: `soak ${seq}`,
          visibility: 'MEMBERS',
          data: { seq, sentAt },
        });
        if ('id' in answer) forumAccepted += 1;
        else if (publishErrors++ < MAX_SAMPLES_KEPT) publishErrorSamples.push(answer.error);
        return;
      }
      notificationsSent += 1;
      const userId = userIds[Math.floor(Math.random() * userIds.length)]!;
      const answer = await publisher!.publish('publishNotification', { userId, type: 'soak', title: `soak ${seq}`, data: { seq, sentAt } });
      if ('id' in answer) accepted.get(userId)!.push(answer.id);
      else if (publishErrors++ < MAX_SAMPLES_KEPT) publishErrorSamples.push(answer.error);
    };
    const churnStart = performance.now();
    const elapsedSeconds = () => (performance.now() - churnStart) / 1000;
    const total = Math.max(1, Math.round(options.rate * options.duration));
    const curve: SoakSample[] = [];
    let start: SoakSample | null = null;
    let end: SoakSample | null = null;
    const sampling = (async () => {
      const times = new Set<number>([warmupSeconds, options.duration]);
      for (let t = 0; t < options.duration; t += sampleEverySeconds) times.add(round(t, 3));
      for (const t of [...times].sort((a, b) => a - b)) {
        await sleep(Math.max(0, t * 1000 - (performance.now() - churnStart)));
        const point = await sample(elapsedSeconds());
        curve.push(point);
        if (t === warmupSeconds) start = point;
        if (t === options.duration) end = point;
        if (t !== warmupSeconds && t !== options.duration && curve.length % 6 !== 1) continue;
        log(
          `${Math.round(point.atSeconds)} s: RSS ${round(point.rssKiB / 1024, 1)} MiB, heap ${point.heapUsedMiB} MiB, ${point.connections} connections, CPU ${point.cpuPercent} %, load ${point.loadAverage}`,
        );
      }
    })();
    const firedMs = (await atRate(total, options.rate)(publish)) ?? options.duration * 1000;
    await sampling;
    log(`published ${notificationsSent} notifications and ${forumSent} forum events (${publishErrors} errors); settling`);

    // Every client comes back and stays until it has received the last notification accepted for it.
    const lastIds: Array<Record<string, string>> = usersPerWorker.map(() => ({}));
    usersPerWorker.forEach((users, w) => {
      for (const { userId } of users) {
        const ids = accepted.get(userId)!;
        if (ids.length) lastIds[w]![userId] = ids.reduce((last, id) => (compareStreamPositions(id, last) > 0 ? id : last));
      }
    });
    const settled = await Promise.all(
      workers.map((worker, w) => worker.ask<SettleReply>({ type: 'settle', lastIds: lastIds[w]!, timeoutMs: SETTLE_TIMEOUT_MS })),
    );
    for (const reply of settled)
      if (reply.pendingCount > 0)
        problems.push(
          `${reply.pendingCount} users had not received their last notification ${SETTLE_TIMEOUT_MS / 1000} s after publishing stopped (e.g. ${reply.pending.slice(0, 3).join(', ')})`,
        );
    const settledSample = await sample(elapsedSeconds());

    // User by user: what was accepted, against what that user's client received across its sockets.
    const collected = await Promise.all(workers.map((worker) => worker.ask<CollectReply>({ type: 'collect' })));
    const events = { notificationsReceived: 0, lost: 0, duplicates: 0, outOfOrder: 0, unexpected: 0, samples: [] as string[] };
    const noteUser = (text: string) => void (events.samples.length < MAX_SAMPLES_KEPT && events.samples.push(text));
    for (const { received } of collected) {
      for (const [userId, ids] of Object.entries(received)) {
        const expected = new Set(accepted.get(userId) ?? []);
        const seen = new Set<string>();
        events.notificationsReceived += ids.length;
        ids.forEach((id, i) => {
          if (seen.has(id)) {
            events.duplicates += 1;
            noteUser(`${userId}: ${id} received twice`);
          } else if (i > 0 && compareStreamPositions(id, ids[i - 1]!) < 0) {
            events.outOfOrder += 1;
            noteUser(`${userId}: ${id} received after ${ids[i - 1]}`);
          }
          if (!expected.has(id)) events.unexpected += 1;
          seen.add(id);
        });
        for (const id of expected) {
          if (seen.has(id)) continue;
          events.lost += 1;
          noteUser(`${userId}: ${id} never received`);
        }
      }
    }
    const counters = collected.map((reply) => reply.counters);
    const count = (key: Exclude<keyof CollectReply['counters'], 'errorSamples'>) => sum(counters.map((c) => c[key]));

    log('disconnecting every client');
    await Promise.all(workers.map((worker) => worker.ask({ type: 'disconnectAll' })));
    await waitForLive(server.origin, 'notification', (live) => live <= liveSubscriptions(before, 'notification'), 30_000);
    // A client that was coming back when it was told to leave closed a socket that never
    // subscribed: the idle figures are read once the service has seen every socket close.
    await waitForMetric(server.origin, openConnections, (open) => open <= openConnections(before), 30_000);
    const idleSample = await sample(elapsedSeconds());

    const startPoint = start as SoakSample | null;
    const endPoint = end as SoakSample | null;
    const change = (from: number | undefined, to: number | undefined) => (from && to !== undefined ? round(((to - from) / from) * 100, 1) : Number.NaN);
    const acceptedTotal = sum([...accepted.values()].map((ids) => ids.length));
    const fifth = (options.duration - warmupSeconds) / 5;
    const heapFloor = (from: number, to: number) => Math.min(...curve.filter((s) => s.atSeconds >= from && s.atSeconds <= to).map((s) => s.heapUsedMiB));
    const heapFloorStart = heapFloor(warmupSeconds - 0.5, warmupSeconds + fifth);
    const heapFloorEnd = heapFloor(options.duration - fifth, options.duration + 0.5);
    const report: Omit<SoakReport, 'verdict'> = {
      meta: {
        date: startedAt.toISOString(),
        durationSeconds: options.duration,
        warmupSeconds: round(warmupSeconds, 1),
        node: process.version,
        cores: availableParallelism(),
        loadAverageAtStart: curve[0]?.loadAverage ?? Number.NaN,
        loadAverageAtEnd: round(loadavg()[0] ?? Number.NaN),
        ...describeMachine(),
        target: options.url ?? `started here: ${describeMode(options.server)}`,
        source: options.url ? 'unknown (--url)' : describeSource(join(__dirname, '..')),
        bus: options.url ? 'as configured there' : options.redisUrl === 'memory' ? 'memory' : 'redis',
        replayMaxPerUser: startsServer ? options.replayMaxPerUser : 'as configured there',
        churn: plan,
        serverPid: pid ?? null,
        options: { ...options, jwtSecret: undefined, publisherToken: undefined },
      },
      memory: {
        start: startPoint,
        end: endPoint,
        rssChangePercent: change(startPoint?.rssKiB, endPoint?.rssKiB),
        heapChangePercent: change(startPoint?.heapUsedMiB, endPoint?.heapUsedMiB),
        heapFloorStartMiB: heapFloorStart,
        heapFloorEndMiB: heapFloorEnd,
        heapFloorChangePercent: change(heapFloorStart, heapFloorEnd),
        settled: settledSample,
        idle: idleSample,
        curve,
      },
      connections: {
        clients: options.clients,
        initiallySubscribed,
        connects: count('connects'),
        resumes: count('resumes'),
        cleanCloses: count('cleanCloses'),
        abruptCloses: count('abruptCloses'),
        errors: count('connectFailures') + count('serverCloses') + count('protocolErrors'),
        connectFailures: count('connectFailures'),
        serverCloses: count('serverCloses'),
        protocolErrors: count('protocolErrors'),
        errorSamples: counters.flatMap((c) => c.errorSamples).slice(0, MAX_SAMPLES_KEPT),
      },
      events: {
        publishedPerSecond: round((notificationsSent + forumSent) / (firedMs / 1000), 1),
        notificationsSent,
        notificationsAccepted: acceptedTotal,
        forumSent,
        forumAccepted,
        publishErrors,
        publishErrorSamples,
        mostForOneUser: Math.max(0, ...[...accepted.values()].map((ids) => ids.length)),
        notificationsReceived: events.notificationsReceived,
        lost: events.lost,
        duplicates: events.duplicates,
        outOfOrder: events.outOfOrder,
        unexpected: events.unexpected,
        misrouted: count('misrouted'),
        forumReceived: count('forumReceived'),
        usersSettled: sum(settled.map((reply) => reply.settled)),
        usersWithNotifications: sum(lastIds.map((ids) => Object.keys(ids).length)),
        samples: events.samples,
      },
      problems,
    };
    if (startsServer && report.events.mostForOneUser >= options.replayMaxPerUser) {
      problems.push(
        `a user got ${report.events.mostForOneUser} notifications, REPLAY_MAX_PER_USER is ${options.replayMaxPerUser}: a resume may have fallen out of retention`,
      );
    }
    return { ...report, verdict: verdictOf(report) };
  } catch (error) {
    throw withServiceOutput(error, server);
  } finally {
    await stopRun(publisher, workers, server);
  }
}
