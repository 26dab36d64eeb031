import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { AggregatorRegistry } from 'prom-client';
import type { Logger } from '../observability/logger';
import { serveGroupMetrics } from './group-metrics';

/** Deaths closer together than this count as one run of failures, each waiting longer before its replacement. */
const FAILURE_RUN_MS = 60_000;
const FIRST_RESTART_DELAY_MS = 100;
const MAX_RESTART_DELAY_MS = 10_000;

/** The wait before replacing a worker that died, after `recentDeaths` deaths (this one included) in a run. */
export function restartDelayMs(recentDeaths: number): number {
  return Math.min(FIRST_RESTART_DELAY_MS * 2 ** (recentDeaths - 1), MAX_RESTART_DELAY_MS);
}

/**
 * The primary of `count` workers (node:cluster) serving one port. It serves nothing itself:
 * - a worker that dies is replaced, after a delay that doubles while deaths follow each other;
 * - SIGHUP replaces the workers one at a time: a new one listens before the old one is told to
 *   stop (SIGTERM: it closes its sockets with 1012 and finishes its requests), so at least
 *   `count` workers serve throughout;
 * - SIGTERM or SIGINT stops them all the same way, then the primary exits;
 * - a worker's /metrics asks the primary, which aggregates every worker's registry.
 */
export function runPrimary(count: number, logger: Logger): void {
  const log = logger.child({ component: 'primary' });
  const aggregator = new AggregatorRegistry();
  /** Workers told to stop: their exit is expected, not replaced. */
  const retiring = new Set<Worker>();
  let deaths: number[] = [];
  let stopping = false;
  let rolling: Promise<void> | undefined;

  function startWorker(): Worker {
    const worker = cluster.fork();
    serveGroupMetrics(worker, aggregator);
    log.info({ worker: worker.id, workerPid: worker.process.pid }, 'worker started');
    worker.once('exit', (code, signal) => {
      if (stopping || retiring.delete(worker)) return;
      const now = Date.now();
      deaths = [...deaths.filter((at) => now - at < FAILURE_RUN_MS), now];
      const delayMs = restartDelayMs(deaths.length);
      log.error({ worker: worker.id, workerPid: worker.process.pid, code, signal, restartInMs: delayMs }, 'a worker died; replacing it');
      setTimeout(() => stopping || startWorker(), delayMs);
    });
    return worker;
  }

  async function retire(worker: Worker): Promise<void> {
    if (worker.isDead()) return;
    retiring.add(worker);
    const exited = once(worker, 'exit');
    worker.process.kill('SIGTERM');
    await exited;
  }

  async function replaceOneByOne(): Promise<void> {
    log.info({ workers: count }, 'replacing the workers one at a time (SIGHUP)');
    for (const old of Object.values(cluster.workers ?? {})) {
      if (!old || stopping) continue;
      const fresh = startWorker();
      await Promise.race([once(fresh, 'listening'), once(fresh, 'exit')]);
      if (stopping) return;
      await retire(old);
      log.info({ retired: old.process.pid, replacement: fresh.process.pid }, 'worker replaced');
    }
    log.info('every worker replaced');
  }

  async function stopAll(signal: NodeJS.Signals): Promise<void> {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping every worker');
    await Promise.all(Object.values(cluster.workers ?? {}).map((worker) => (worker ? retire(worker) : Promise.resolve())));
    log.info('every worker stopped');
    process.exit(0);
  }

  process.on('SIGHUP', () => {
    if (stopping) return;
    rolling ??= replaceOneByOne().finally(() => (rolling = undefined));
  });
  process.on('SIGTERM', (signal) => void stopAll(signal));
  process.on('SIGINT', (signal) => void stopAll(signal));

  let listening = 0;
  for (let index = 0; index < count; index += 1) {
    const worker = startWorker();
    worker.once('listening', () => {
      listening += 1;
      if (listening === count) log.info({ workers: count }, 'every worker listening');
    });
  }
}
