import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../observability/logger';
import type { ProcessSnapshot } from '../observability/metrics';
import { quantileBetween } from './delivery-quantile';
import type { ProcessDirectory, ProcessRecord } from './process-directory';

export interface HeartbeatOptions {
  readonly directory: ProcessDirectory;
  readonly snapshot: () => Promise<ProcessSnapshot>;
  readonly intervalMs: number;
  readonly logger: Logger;
}

/** A record outlives this many missed beats: a process that stops beating drops out after that. */
const BEATS_TO_LIVE = 3;

/**
 * Announces this process in the directory every `intervalMs`: its connections, subscriptions,
 * and, since the previous beat, deliveries per second and delivery p99. A failed beat (Redis
 * away) is logged and the next one tries again. Returns the process's id and the stop.
 */
export function startProcessHeartbeat({ directory, snapshot, intervalMs, logger }: HeartbeatOptions) {
  const log = logger.child({ component: 'admin-heartbeat' });
  const id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const startedAt = new Date().toISOString();
  let previous: { at: number; snapshot: ProcessSnapshot } | null = null;

  const beat = async () => {
    const now = Date.now();
    const current = await snapshot();
    const seconds = previous ? (now - previous.at) / 1000 : 0;
    const p99 = previous ? quantileBetween(previous.snapshot.latencyBuckets, current.latencyBuckets, 0.99) : null;
    const record: ProcessRecord = {
      id,
      host: hostname(),
      pid: process.pid,
      startedAt,
      at: now,
      connections: current.connections,
      subscriptions: current.subscriptions,
      deliveriesPerSecond: previous && seconds > 0 ? (current.deliveredTotal - previous.snapshot.deliveredTotal) / seconds : 0,
      deliveryP99Ms: p99 === null ? null : Math.round(p99 * 10_000) / 10,
    };
    previous = { at: now, snapshot: current };
    await directory.announce(record, intervalMs * BEATS_TO_LIVE);
  };
  const beatLogged = () => beat().catch((error: Error) => log.warn({ err: error.message }, 'could not announce this process to the admin view'));

  void beatLogged();
  const timer = setInterval(() => void beatLogged(), intervalMs);
  timer.unref();
  return {
    id,
    async stop() {
      clearInterval(timer);
      await directory.withdraw(id).catch(() => {});
    },
  };
}
