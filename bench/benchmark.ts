/**
 * The benchmark of issue 4: one service process (started here, or given by URL), N graphql-ws
 * connections from separate client processes, and the figures the issue names — RSS per
 * connection, broadcast time-to-last and CPU per delivery, notification latency at a rate,
 * publish throughput, lost events, event-loop delay. `runBenchmark` is the programmatic entry
 * (the smoke test calls it); run.ts is the command line.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { availableParallelism, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEVELOPMENT_JWT_SECRET, DEVELOPMENT_PUBLISHER_TOKEN } from '../src/config/config';
import { startClientWorker, type ClientWorker } from './client-pool';
import { DEFAULT_OPTIONS, type BenchmarkOptions } from './options';
import { listenOverflows, planProblems, readKernelLimits } from './limits';
import { describeMachine, describeSource, openFiles, processGroup, readCpuMs, readRssKiB } from './proc';
import type { ConnectReply, LoopDelayReply, WorkerProblems } from './protocol';
import { createPublisher, type Publisher } from './publisher';
import { endLoopWindow, liveSubscriptions, scrapeMetrics, startLoopWindow, waitForLive } from './server-metrics';
import { stopRun, withServiceOutput } from './run-teardown';
import { describeMode, startServer, targetServer, type ServerUnderTest } from './server-process';
import { atRate, batchNotifyAndCollect, broadcastOnce, notifyAndCollect, sum, withConcurrency, type LoadContext } from './load';
import { median, percentile, round } from './stats';
import type { BenchmarkReport, DeliveryFigures, LoopDelay, PhaseLoopDelay } from './report';

const WARMUP_CONNECTIONS = 20;
/**
 * Notifications the warm-up sends over its connections each way — one per `publishNotification`
 * call (16 in flight), and in `publishNotifications` calls of WARMUP_BATCH_SIZE (4 in flight):
 * enough for V8 to optimize the publish → deliver paths, whose first few thousand calls cost the
 * service up to twice the CPU of later ones and would otherwise fall in the measured phases.
 */
const WARMUP_NOTIFICATIONS = 2_000;
const WARMUP_BATCH_SIZE = 100;
const IDLE_SAMPLE_MS = 2_000;
const FORUM_ID = 'bench-forum';

interface Client {
  readonly worker: ClientWorker;
  readonly userIds: readonly string[];
}

/** Splits `n` users over `count` clients as evenly as possible. */
/** What notifyAndCollect and batchNotifyAndCollect both return. */
type Collected = Pick<
  Awaited<ReturnType<typeof notifyAndCollect>>,
  'start' | 'sentMs' | 'accepted' | 'received' | 'lost' | 'misrouted' | 'latencies' | 'lastAt'
>;

function deliveryFiguresOf(result: Collected): DeliveryFigures {
  return {
    accepted: result.accepted,
    received: result.received,
    lost: result.lost,
    misrouted: result.misrouted,
    acceptedPerSecond: round(result.accepted / (result.sentMs / 1000), 0),
    deliveredPerSecond: round(result.received / ((result.lastAt - result.start) / 1000), 0),
    p50Ms: round(percentile(result.latencies, 50), 3),
    p99Ms: round(percentile(result.latencies, 99), 3),
  };
}

function assignUsers(n: number, count: number, tag: string): string[][] {
  return Array.from({ length: count }, (_, w) => {
    const size = Math.floor(n / count) + (w < n % count ? 1 : 0);
    const first = w * Math.floor(n / count) + Math.min(w, n % count);
    return Array.from({ length: size }, (_, i) => `${tag}-${first + i}`);
  });
}

export async function runBenchmark(overrides: Partial<BenchmarkOptions> = {}): Promise<BenchmarkReport> {
  const options: BenchmarkOptions = { ...DEFAULT_OPTIONS, ...overrides };
  if (options.transport === 'sse' && options.server === 'floor' && !options.url)
    throw new Error('the floor serves graphql-ws only: --transport sse needs the service');
  const log = options.verbose ? (line: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 23)}] ${line}\n`) : () => undefined;
  const problems: string[] = [];
  const startedAt = new Date();
  const limits = readKernelLimits();
  const fromLoopback = options.url === undefined || new URL(options.url).hostname === '127.0.0.1';
  const impossible = planProblems(options.n, options.clients, options.url ? undefined : options.workers, limits, fromLoopback && options.transport === 'ws');
  if (impossible.length) throw new Error(`this machine cannot hold the run:\n- ${impossible.join('\n- ')}`);

  log(
    options.url
      ? `targeting ${options.url}`
      : `starting the service (${options.server}, ${options.redisUrl === 'memory' ? 'in-memory bus' : options.redisUrl})`,
  );
  const server: ServerUnderTest = options.url
    ? targetServer(options.url, options.pid)
    : await startServer({ mode: options.server, redisUrl: options.redisUrl, workers: options.workers });
  const pid = server.pid;
  // Other processes of the same service (--also): clients spread over all, figures summed.
  const others = options.url ? (options.also ?? []).map((url) => targetServer(url, undefined)) : [];
  const processes = [server, ...others];
  const metricsOrigin = others.length === 0 ? server.origin : processes.map((p) => p.origin);
  const pids = pid === undefined ? [] : [pid, ...(options.alsoPids ?? [])];
  // Each pid with its workers, read anew each time: a worker replaced mid-run is counted as it is now.
  const servicePids = () => pids.flatMap(processGroup);
  const sumOver = (read: (pid: number) => number) =>
    pid === undefined || pids.length !== processes.length ? Number.NaN : servicePids().reduce((total, p) => total + read(p), 0);
  const rss = () => sumOver(readRssKiB);
  const cpuMs = () => sumOver(readCpuMs);
  const processOf = (w: number) => processes[w % processes.length] as ServerUnderTest;
  const workers: ClientWorker[] = [];
  let publisher: Publisher | undefined;

  try {
    const tag = `b${randomBytes(4).toString('hex')}`;
    for (let w = 0; w < options.clients; w++) workers.push(await startClientWorker(w));
    const userSets = assignUsers(options.n, options.clients, tag);
    const clients: Client[] = workers.map((worker, w) => ({ worker, userIds: userSets[w] as string[] }));
    const everyUser = clients.flatMap((client, w) => client.userIds.map((userId) => ({ userId, w })));
    publisher = createPublisher(server.url, options.publisherToken ?? DEVELOPMENT_PUBLISHER_TOKEN, Math.max(options.concurrency, 16));
    const jwtSecret = options.jwtSecret ?? DEVELOPMENT_JWT_SECRET;
    // Each client process gets a source address of its own on loopback, and so a port range of its own.
    const localAddress = (w: number) => (fromLoopback ? `127.0.0.${10 + w}` : undefined);
    const allClients = <T>(ask: (client: Client, w: number) => Promise<T>) => Promise.all(clients.map(ask));
    const phaseLoopDelay = async (run: () => Promise<void>): Promise<PhaseLoopDelay> => {
      await startLoopWindow(metricsOrigin);
      await allClients(({ worker }) => worker.ask({ type: 'resetLoopDelay' }));
      await run();
      const serverDelay = await endLoopWindow(metricsOrigin);
      const clientDelays = await allClients(({ worker }) => worker.ask<LoopDelayReply>({ type: 'loopDelay' }));
      return {
        server: { maxMs: round(serverDelay.maxMs), p99Ms: round(serverDelay.p99Ms) },
        clients: { maxMs: round(Math.max(...clientDelays.map((d) => d.maxMs))), p99Ms: round(Math.max(...clientDelays.map((d) => d.p99Ms))) },
      };
    };
    /** Runs `collect` inside phaseLoopDelay: its result, and the loop delay while it ran. */
    const measuredPhase = async <T>(collect: () => Promise<T>): Promise<{ result: T; loop: PhaseLoopDelay }> => {
      let result: T | undefined;
      const loop = await phaseLoopDelay(async () => {
        result = await collect();
      });
      return { result: result as T, loop };
    };
    const before = await scrapeMetrics(metricsOrigin);
    const baseNotification = liveSubscriptions(before, 'notification');
    const baseForum = liveSubscriptions(before, 'forumActivity');
    let lost = 0;

    // Warm-up: a few connections go through every path (handshake, both subscriptions,
    // notifications, a broadcast) and leave, so that the memory baseline holds the code's
    // one-time costs and no phase measures code V8 has not optimized yet.
    log(`warm-up with ${Math.min(WARMUP_CONNECTIONS, options.n)} connections`);
    {
      const first = clients[0] as Client;
      const warmUsers = Array.from({ length: Math.min(WARMUP_CONNECTIONS, options.n) }, (_, i) => `${tag}-warm-${i}`);
      const reply = await first.worker.ask<ConnectReply>({
        type: 'connect',
        group: 'warmup',
        transport: options.transport,
        wsUrl: server.wsUrl,
        httpUrl: server.url,
        userIds: warmUsers,
        jwtSecret,
        localAddress: localAddress(0),
      });
      if (reply.subscribed !== warmUsers.length)
        throw new Error(`warm-up: only ${reply.subscribed} of ${warmUsers.length} connections subscribed: ${reply.failures.join('; ')}`);
      await first.worker.ask({ type: 'subscribeForum', group: 'warmup', forumId: FORUM_ID });
      await waitForLive(metricsOrigin, 'notification', (live) => live >= baseNotification + warmUsers.length, 30_000);
      await waitForLive(metricsOrigin, 'forumActivity', (live) => live >= baseForum + warmUsers.length, 30_000);
      const warmLoad: LoadContext = {
        workers: [first.worker],
        users: warmUsers.map((userId) => ({ userId, worker: 0 })),
        subscribedPerWorker: [warmUsers.length],
        publisher,
        cpuMs,
        onProblem: (problem) => problems.push(`warm-up: ${problem}`),
      };
      lost += (await broadcastOnce(warmLoad, FORUM_ID, -1)).lost;
      lost += (await notifyAndCollect(warmLoad, 'warmup', WARMUP_NOTIFICATIONS, withConcurrency(WARMUP_NOTIFICATIONS, 16))).lost;
      lost += (await batchNotifyAndCollect(warmLoad, 'warmup-batch', WARMUP_NOTIFICATIONS, WARMUP_BATCH_SIZE, 4)).lost;
      await first.worker.ask({ type: 'disconnect', group: 'warmup' });
      await waitForLive(metricsOrigin, 'notification', (live) => live <= baseNotification, 30_000);
      await waitForLive(metricsOrigin, 'forumActivity', (live) => live <= baseForum, 30_000);
    }

    // Connections: every user opens a socket and subscribes to its notifications.
    const liveTimeoutMs = 60_000 + options.n * 10;
    const rssBefore = rss();
    const workerPidsBefore = servicePids();
    const overflowsBefore = listenOverflows();
    const heapBefore = (await scrapeMetrics(metricsOrigin)).get('nodejs_heap_size_used_bytes') ?? Number.NaN;
    log(`opening ${options.n} ${options.transport === 'sse' ? 'SSE streams' : 'connections'} from ${options.clients} client processes`);
    let connectReplies: ConnectReply[] = [];
    let liveNotification = 0;
    let connectMs = 0;
    const connectLoop = await phaseLoopDelay(async () => {
      const start = performance.now();
      connectReplies = await allClients(({ worker, userIds }, w) =>
        worker.ask<ConnectReply>({
          type: 'connect',
          group: 'main',
          transport: options.transport,
          wsUrl: processOf(w).wsUrl,
          httpUrl: processOf(w).url,
          userIds,
          jwtSecret,
          localAddress: localAddress(w),
        }),
      );
      const subscribed = sum(connectReplies.map((reply) => reply.subscribed));
      liveNotification = (await waitForLive(metricsOrigin, 'notification', (live) => live >= baseNotification + subscribed, liveTimeoutMs)) - baseNotification;
      connectMs = performance.now() - start;
    });
    const subscribedSockets = sum(connectReplies.map((reply) => reply.subscribed));
    for (const reply of connectReplies) for (const failure of reply.failures) problems.push(`connect: ${failure}`);
    if (subscribedSockets < options.n) problems.push(`only ${subscribedSockets} of ${options.n} connections were acknowledged`);
    if (liveNotification < subscribedSockets) problems.push(`only ${liveNotification} of ${subscribedSockets} notification subscriptions became live`);
    const rssNotification = rss();
    const heapNotification = (await scrapeMetrics(metricsOrigin)).get('nodejs_heap_size_used_bytes') ?? Number.NaN;
    log(`${liveNotification} notification subscriptions live in ${Math.round(connectMs)} ms; RSS ${rssBefore} → ${rssNotification} KiB`);

    let liveForum = 0;
    let rssForum = Number.NaN;
    let heapForum = Number.NaN;
    let forumSubscribeLoop: PhaseLoopDelay | null = null;
    if (options.forum) {
      // Every socket subscribes at once: the service reads thousands of subscribes in one poll.
      forumSubscribeLoop = await phaseLoopDelay(async () => {
        await allClients(({ worker }) => worker.ask({ type: 'subscribeForum', group: 'main', forumId: FORUM_ID }));
        liveForum = (await waitForLive(metricsOrigin, 'forumActivity', (live) => live >= baseForum + subscribedSockets, liveTimeoutMs)) - baseForum;
      });
      if (liveForum < subscribedSockets) problems.push(`only ${liveForum} of ${subscribedSockets} forumActivity subscriptions became live`);
      rssForum = rss();
      heapForum = (await scrapeMetrics(metricsOrigin)).get('nodejs_heap_size_used_bytes') ?? Number.NaN;
      log(`${liveForum} forumActivity subscriptions live; RSS → ${rssForum} KiB`);
    }
    // Every connection open: what each process holds, against what the machine allows.
    const everyServicePid = servicePids();
    const processReport: BenchmarkReport['processes'] = {
      service: everyServicePid.map((p) => ({ pid: p, rssKiB: readRssKiB(p), openFiles: openFiles(p) })),
      replacedDuringRun: workerPidsBefore.filter((p) => !everyServicePid.includes(p)).length,
      clients: workers.map((worker) => ({ pid: worker.pid, openFiles: openFiles(worker.pid) })),
      listenOverflows: listenOverflows() - overflowsBefore,
      limits,
    };
    if (processReport.replacedDuringRun > 0) problems.push(`${processReport.replacedDuringRun} service processes were replaced while connecting`);
    log(
      `${everyServicePid.length} service processes, most open files in one: ${Math.max(...processReport.service.map((p) => p.openFiles))}; ` +
        `client processes: ${Math.max(...processReport.clients.map((c) => c.openFiles))} (limit ${limits.openFilesPerProcess}); listen overflows ${processReport.listenOverflows}`,
    );
    // The service's CPU while nothing is published: what the connections cost by just being there
    // (heartbeats, timers). A measurement over a fixed time, so a sleep is what it takes.
    let idleCpuPercent = Number.NaN;
    if (options.phases.includes('memory') && pid !== undefined) {
      const idleStart = cpuMs();
      await sleep(IDLE_SAMPLE_MS);
      idleCpuPercent = round(((cpuMs() - idleStart) / IDLE_SAMPLE_MS) * 100, 1);
    }
    const perConnection = (after: number, base: number, unit: number) => round((after - base) / unit / Math.max(1, liveNotification), 2);
    const report: BenchmarkReport = {
      meta: {
        date: startedAt.toISOString(),
        node: process.version,
        cores: availableParallelism(),
        /** The machine's 1-minute load average when the run started: above the core count, others were competing for it. */
        loadAverage: round(loadavg()[0] ?? Number.NaN),
        ...describeMachine(),
        target: options.url ?? `started here: ${describeMode(options.server)}`,
        source: options.url ? 'unknown (--url)' : describeSource(join(__dirname, '..')),
        transport: options.transport,
        bus: options.url ? 'as configured there' : options.redisUrl === 'memory' ? 'memory' : 'redis',
        serverPid: pid ?? null,
        options: { ...options, jwtSecret: undefined, publisherToken: undefined },
      },
      connections: {
        requested: options.n,
        acknowledged: subscribedSockets,
        failed: options.n - subscribedSockets,
        notificationLive: liveNotification,
        forumLive: options.forum ? liveForum : null,
        connectMs: round(connectMs, 0),
      },
      processes: processReport,
      memory: options.phases.includes('memory')
        ? {
            rssBeforeKiB: rssBefore,
            rssWithNotificationKiB: rssNotification,
            rssWithForumKiB: options.forum ? rssForum : null,
            rssPerConnectionNotificationKiB: perConnection(rssNotification, rssBefore, 1),
            rssPerConnectionWithForumKiB: options.forum ? perConnection(rssForum, rssBefore, 1) : null,
            heapPerConnectionNotificationKiB: perConnection(heapNotification, heapBefore, 1024),
            heapPerConnectionWithForumKiB: options.forum ? perConnection(heapForum, heapBefore, 1024) : null,
            idleCpuPercent,
          }
        : null,
      broadcast: null,
      burst: null,
      latency: null,
      throughput: null,
      batch: null,
      lostEvents: 0,
      eventLoop: { connect: connectLoop, ...(forumSubscribeLoop ? { forumSubscribe: forumSubscribeLoop } : {}) },
      problems,
    };

    const load: LoadContext = {
      workers,
      users: everyUser.map(({ userId, w }) => ({ userId, worker: w })),
      subscribedPerWorker: connectReplies.map((reply) => reply.subscribed),
      publisher,
      cpuMs,
      onProblem: (problem) => problems.push(problem),
    };
    if (options.phases.includes('broadcast')) {
      if (!options.forum) problems.push('broadcast phase skipped: it needs the forumActivity subscriptions (--forum)');
      else {
        log(`broadcast: 1 warm-up + ${options.broadcasts} forum events to ${subscribedSockets} subscribers`);
        const warm = await broadcastOnce(load, FORUM_ID, 0);
        lost += warm.lost;
        const results: Array<Awaited<ReturnType<typeof broadcastOnce>>> = [];
        let cpuUsedMs = 0;
        let delivered = 0;
        const deliveredBefore = (await scrapeMetrics(metricsOrigin)).get('realtime_events_delivered_total{field="forumActivity"}') ?? 0;
        const loop = await phaseLoopDelay(async () => {
          const cpuStart = cpuMs();
          for (let seq = 1; seq <= options.broadcasts; seq++) results.push(await broadcastOnce(load, FORUM_ID, seq));
          cpuUsedMs = cpuMs() - cpuStart;
        });
        delivered = sum(results.map((result) => result.received));
        const serverDelivered = ((await scrapeMetrics(metricsOrigin)).get('realtime_events_delivered_total{field="forumActivity"}') ?? 0) - deliveredBefore;
        const broadcastLost = sum(results.map((result) => result.lost));
        lost += broadcastLost;
        const toLast = results.map((result) => result.timeToLastMs);
        report.broadcast = {
          events: options.broadcasts,
          subscribers: subscribedSockets,
          expectedDeliveries: options.broadcasts * subscribedSockets,
          deliveries: delivered,
          serverCountedDeliveries: serverDelivered,
          lost: broadcastLost + warm.lost,
          timeToLastMs: { median: round(median(toLast)), min: round(Math.min(...toLast)), max: round(Math.max(...toLast)) },
          timeToFirstMs: { median: round(median(results.map((result) => result.timeToFirstMs))) },
          warmupTimeToLastMs: round(warm.timeToLastMs),
          serverCpuMs: round(cpuUsedMs),
          serverCpuPerDeliveryUs: round((cpuUsedMs * 1000) / Math.max(1, delivered)),
        };
        report.eventLoop['broadcast'] = loop;
        log(`broadcast: median time-to-last ${report.broadcast.timeToLastMs.median} ms, ${report.broadcast.serverCpuPerDeliveryUs} µs CPU per delivery`);
      }
    }

    if (options.phases.includes('latency')) {
      const total = Math.max(1, Math.round(options.rate * options.duration));
      log(`latency: ${total} notifications at ${options.rate}/s to random users`);
      const { result, loop } = await measuredPhase(() => notifyAndCollect(load, 'latency', total, atRate(total, options.rate)));
      lost += result.lost;
      report.latency = {
        rate: options.rate,
        sent: total,
        accepted: result.accepted,
        achievedRatePerSecond: round(total / (result.firedMs / 1000), 0),
        acceptedRatePerSecond: round(result.accepted / (result.sentMs / 1000), 0),
        mostInFlight: result.mostInFlight,
        publisherConnections: load.publisher.connections,
        received: result.received,
        lost: result.lost,
        misrouted: result.misrouted,
        p50Ms: round(percentile(result.latencies, 50), 3),
        p90Ms: round(percentile(result.latencies, 90), 3),
        p99Ms: round(percentile(result.latencies, 99), 3),
        maxMs: round(percentile(result.latencies, 100), 3),
        serverCpuPerNotificationUs: round((result.cpuUsedMs * 1000) / Math.max(1, result.received)),
      };
      report.eventLoop['latency'] = loop;
      log(`latency: p50 ${report.latency.p50Ms} ms, p99 ${report.latency.p99Ms} ms, lost ${result.lost}`);
    }

    if (options.phases.includes('throughput')) {
      log(`throughput: ${options.publishes} publishNotification calls, ${options.concurrency} in flight`);
      const { result, loop } = await measuredPhase(() =>
        notifyAndCollect(load, 'throughput', options.publishes, withConcurrency(options.publishes, options.concurrency)),
      );
      lost += result.lost;
      report.throughput = {
        publishes: options.publishes,
        concurrency: options.concurrency,
        ...deliveryFiguresOf(result),
        serverCpuPerPublishUs: round((result.cpuUsedMs * 1000) / Math.max(1, result.received)),
      };
      report.eventLoop['throughput'] = loop;
      log(`throughput: ${report.throughput.acceptedPerSecond}/s accepted, ${report.throughput.deliveredPerSecond}/s delivered, lost ${result.lost}`);
    }

    if (options.phases.includes('batch')) {
      log(`batch: ${options.publishes} notifications in publishNotifications calls of ${options.batchSize}, ${options.batchConcurrency} in flight`);
      const { result, loop } = await measuredPhase(() => batchNotifyAndCollect(load, 'batch', options.publishes, options.batchSize, options.batchConcurrency));
      lost += result.lost;
      report.batch = {
        notifications: options.publishes,
        batchSize: options.batchSize,
        batches: result.batches,
        concurrency: options.batchConcurrency,
        ...deliveryFiguresOf(result),
        serverCpuPerNotificationUs: round((result.cpuUsedMs * 1000) / Math.max(1, result.received)),
      };
      report.eventLoop['batch'] = loop;
      log(`batch: ${report.batch.acceptedPerSecond}/s accepted, ${report.batch.deliveredPerSecond}/s delivered, lost ${result.lost}`);
    }

    if (options.phases.includes('burst')) {
      log(`burst: ${options.burst} notifications in publishNotifications calls of ${options.batchSize}, then ${options.settleSeconds} s of quiet`);
      const rssBeforeBurst = rss();
      const result = await batchNotifyAndCollect(load, 'burst', options.burst, options.batchSize, options.batchConcurrency);
      lost += result.lost;
      const rssAtEnd = rss();
      // What the service keeps once the burst is over is the question: a fixed wait is what it takes.
      await sleep(options.settleSeconds * 1000);
      const rssAfterBurst = rss();
      report.burst = {
        notifications: options.burst,
        received: result.received,
        lost: result.lost,
        settleSeconds: options.settleSeconds,
        rssBeforeKiB: rssBeforeBurst,
        rssAtEndKiB: rssAtEnd,
        rssAfterKiB: rssAfterBurst,
        rssGrowthPercent: round(((rssAfterBurst - rssBeforeBurst) / rssBeforeBurst) * 100, 1),
      };
      log(`burst: RSS ${rssBeforeBurst} → ${rssAtEnd} → ${rssAfterBurst} KiB after ${options.settleSeconds} s (${report.burst.rssGrowthPercent} %)`);
    }

    const finalState = await allClients(({ worker }) => worker.ask<LoopDelay & { problems: WorkerProblems }>({ type: 'loopDelay' }));
    for (const { problems: seen } of finalState) {
      if (seen.closed > 0) problems.push(`${seen.closed} sockets were closed by the server`);
      for (const error of seen.errors) problems.push(`client: ${error}`);
    }
    report.lostEvents = lost;
    report.meta['loadAverageAtEnd'] = round(loadavg()[0] ?? Number.NaN);
    return report;
  } catch (error) {
    throw withServiceOutput(error, server);
  } finally {
    await stopRun(publisher, workers, server);
  }
}
