/**
 * The two ways the benchmark loads the service and collects what arrived: one forum event to
 * every subscriber (`broadcastOnce`), and notifications to random users sent open-loop at a rate
 * or closed-loop with a fixed number in flight (`notifyAndCollect` with `atRate` or `withConcurrency`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientWorker } from './client-pool';
import type { BroadcastReply, EventTag, NotificationsReply } from './protocol';
import type { Publisher } from './publisher';
import { wallClockMs } from './stats';

/** How long a client waits for what it should receive before the rest counts as lost. */
const DELIVERY_TIMEOUT_MS = 30_000;

export const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

export interface LoadContext {
  readonly workers: readonly ClientWorker[];
  /** Every connected user, with the index of the client process whose socket it is. */
  readonly users: ReadonlyArray<{ readonly userId: string; readonly worker: number }>;
  /** Sockets each client process has subscribed. */
  readonly subscribedPerWorker: readonly number[];
  readonly publisher: Publisher;
  /** The service's CPU time so far (NaN when it cannot be read). */
  readonly cpuMs: () => number;
  readonly onProblem: (problem: string) => void;
}

/** Publishes one forum event and resolves once every subscriber received it (or the timeout passed). */
export async function broadcastOnce(context: LoadContext, forumId: string, seq: number) {
  const sentAt = wallClockMs();
  const error = await context.publisher.broadcast(forumId, { tag: 'broadcast', seq });
  if (error) context.onProblem(`broadcast publish ${seq}: ${error}`);
  const replies = await Promise.all(
    context.workers.map((worker, w) =>
      worker.ask<BroadcastReply>({ type: 'awaitBroadcast', seq, count: context.subscribedPerWorker[w] ?? 0, timeoutMs: DELIVERY_TIMEOUT_MS }),
    ),
  );
  const reached = replies.filter((reply) => reply.received > 0);
  const received = sum(replies.map((reply) => reply.received));
  return {
    received,
    lost: sum(context.subscribedPerWorker) - received,
    timeToLastMs: Math.max(...reached.map((reply) => reply.lastAt)) - sentAt,
    timeToFirstMs: Math.min(...reached.map((reply) => reply.firstAt)) - sentAt,
  };
}

type Publish = (seq: number) => Promise<void>;
/** Sends `publish(0…)` in some pattern; resolves with the ms it took to send the last one, or nothing when that is when all were answered. */
type SendPattern = (publish: Publish) => Promise<number | void>;

/** Open loop: `total` publishes on schedule at `rate` a second, whether or not earlier ones were answered. */
export const atRate =
  (total: number, rate: number): SendPattern =>
  async (publish) => {
    const inFlight = new Set<Promise<void>>();
    const start = performance.now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
      while (sent < due) {
        const request = publish(sent++);
        inFlight.add(request);
        void request.then(() => inFlight.delete(request));
      }
      await sleep(1);
    }
    const firedMs = performance.now() - start;
    await Promise.all(inFlight);
    return firedMs;
  };

/** Closed loop: `total` publishes, `concurrency` of them in flight at any time. */
export const withConcurrency =
  (total: number, concurrency: number): SendPattern =>
  async (publish) => {
    let next = 0;
    const lane = async () => {
      while (next < total) await publish(next++);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
  };

/** Publishes `count` notifications tagged `tag` to random users in `publishNotifications` calls of `batchSize`, `concurrency` calls in flight, then collects what arrived. */
export async function batchNotifyAndCollect(context: LoadContext, tag: EventTag, count: number, batchSize: number, concurrency: number) {
  const batches = Math.ceil(count / batchSize);
  let sentNotifications = 0;
  const expected = context.workers.map(() => 0);
  let errors = 0;
  const publishBatch = async (batch: number) => {
    const size = Math.min(batchSize, count - batch * batchSize);
    const users = Array.from({ length: size }, () => context.users[Math.floor(Math.random() * context.users.length)] as LoadContext['users'][number]);
    const data = users.map((_, index) => ({ tag, seq: batch * batchSize + index }));
    for (const user of users) expected[user.worker] = (expected[user.worker] ?? 0) + 1;
    const error = await context.publisher.notifyMany(
      users.map((user) => user.userId),
      data,
    );
    if (error) {
      for (const user of users) expected[user.worker] = (expected[user.worker] ?? 0) - 1;
      if (errors++ < 5) context.onProblem(`${tag} publish: ${error}`);
    } else {
      sentNotifications += size;
    }
  };
  const cpuStart = context.cpuMs();
  const start = wallClockMs();
  await withConcurrency(batches, concurrency)(publishBatch);
  const sentMs = wallClockMs() - start;
  const replies = await Promise.all(
    context.workers.map((worker, w) =>
      worker.ask<NotificationsReply>({ type: 'awaitNotifications', tag, count: expected[w] ?? 0, timeoutMs: DELIVERY_TIMEOUT_MS }),
    ),
  );
  const cpuUsedMs = context.cpuMs() - cpuStart;
  const received = sum(replies.map((reply) => reply.received));
  return {
    batches,
    start,
    sentMs,
    accepted: sentNotifications,
    received,
    lost: sentNotifications - received,
    misrouted: sum(replies.map((reply) => reply.misrouted)),
    latencies: replies.flatMap((reply) => reply.latenciesMs),
    lastAt: Math.max(...replies.map((reply) => reply.lastAt)),
    cpuUsedMs,
  };
}

/** Publishes `count` notifications tagged `tag` to random users in the pattern `send`, then collects what arrived. */
export async function notifyAndCollect(context: LoadContext, tag: EventTag, count: number, send: SendPattern) {
  const expected = context.workers.map(() => 0);
  let errors = 0;
  const publish = async (seq: number) => {
    const user = context.users[Math.floor(Math.random() * context.users.length)] as LoadContext['users'][number];
    expected[user.worker] = (expected[user.worker] ?? 0) + 1;
    const error = await context.publisher.notify(user.userId, { tag, seq });
    if (error) {
      expected[user.worker] = (expected[user.worker] ?? 0) - 1;
      if (errors++ < 5) context.onProblem(`${tag} publish: ${error}`);
    }
  };
  const cpuStart = context.cpuMs();
  context.publisher.takeMostInFlight();
  const start = wallClockMs();
  const firedMs = await send(publish);
  const sentMs = wallClockMs() - start;
  const mostInFlight = context.publisher.takeMostInFlight();
  const replies = await Promise.all(
    context.workers.map((worker, w) =>
      worker.ask<NotificationsReply>({ type: 'awaitNotifications', tag, count: expected[w] ?? 0, timeoutMs: DELIVERY_TIMEOUT_MS }),
    ),
  );
  const cpuUsedMs = context.cpuMs() - cpuStart;
  const received = sum(replies.map((reply) => reply.received));
  const accepted = count - errors;
  return {
    start,
    sentMs,
    firedMs: firedMs ?? sentMs,
    mostInFlight,
    accepted,
    received,
    lost: accepted - received,
    misrouted: sum(replies.map((reply) => reply.misrouted)),
    latencies: replies.flatMap((reply) => reply.latenciesMs),
    lastAt: Math.max(...replies.map((reply) => reply.lastAt)),
    cpuUsedMs,
  };
}
