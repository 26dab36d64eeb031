import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Redis from 'ioredis';

const ROOT = join(__dirname, '..');
const OUTPUT_TAIL_CHARS = 8_000;

export interface ServerUnderTest {
  /** http://host:port/graphql */
  readonly url: string;
  readonly wsUrl: string;
  readonly origin: string;
  /** Undefined when the service was not started here and no --pid was given. */
  readonly pid?: number;
  /** The last lines the started service wrote, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function endpointsOf(url: string) {
  const parsed = new URL(url);
  const origin = parsed.origin;
  const wsUrl = `${parsed.protocol === 'https:' ? 'wss:' : 'ws:'}//${parsed.host}${parsed.pathname}`;
  return { url: parsed.href, wsUrl, origin };
}

/**
 * Resolves once `listening()` holds and `origin`/readyz answers 200; another process offers no
 * event to wait on, so it asks every 50 ms.
 */
async function waitUntilReady(origin: string, listening: () => boolean, exited: Promise<unknown>, output: () => string, timeoutMs: number): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone) throw new Error(`the service exited before it was ready:\n${output()}`);
    try {
      if (listening() && (await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(5_000) })).status === 200) return;
    } catch {
      /* not listening yet, or not answering */
    }
    if (Date.now() > deadline) throw new Error(`the service was not ready within ${timeoutMs} ms:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** How the started service runs; `floor` starts bench/floor-server.ts instead, the same load's cost without GraphQL. */
export type ServerMode = 'tsx' | 'dist' | 'floor';

const ARGS: Record<ServerMode, readonly string[]> = {
  tsx: ['--import', 'tsx', 'src/main.ts'],
  dist: ['dist/main.js'],
  floor: ['--import', 'tsx', 'bench/floor-server.ts'],
};

/** What the report says was started, for a mode. */
export const describeMode = (mode: ServerMode) => `node ${ARGS[mode].join(' ')}`;

/** Deletes every key under `prefix`: what a run retained (notification streams live for a day). */
async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** What the primary of WORKERS > 1 logs (at info) once every worker listens. */
const EVERY_WORKER_LISTENING = '"msg":"every worker listening"';

/**
 * Starts the service as `npm start` would, in a process of its own, on a free port and a Redis
 * key prefix of its own (`namespace:uuid:`; its keys are deleted once the service stopped), with
 * LOG_LEVEL=warn so that logging does not weigh on the figures. `env` adds (or overrides)
 * variables of the service, e.g. a larger REPLAY_MAX_PER_USER. With `workers` above 1 it runs
 * that many workers (WORKERS) and resolves once every one of them listens: until then the
 * primary hands every connection to the few that do. LOG_LEVEL is info then, for the primary's
 * line that says so (the workers log nothing at info for a connection that goes well).
 */
export async function startServer(options: {
  mode: ServerMode;
  redisUrl: string;
  workers?: number;
  namespace?: string;
  env?: Readonly<Record<string, string>>;
}): Promise<ServerUnderTest> {
  const port = await freePort();
  const keyPrefix = `${options.namespace ?? 'bench'}:${randomUUID()}:`;
  const bus = options.redisUrl === 'memory' ? {} : { REDIS_URL: options.redisUrl, REDIS_KEY_PREFIX: keyPrefix };
  const workers = options.workers ?? 1;
  const group = workers > 1 ? { WORKERS: String(workers), LOG_LEVEL: 'info' } : {};
  // One process (tsx as a loader, not its CLI, which would fork a second one whose RSS we would miss).
  const child: ChildProcess = spawn(process.execPath, ARGS[options.mode], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...bus, ...group, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  let everyWorkerListening = workers === 1;
  const keep = (chunk: string) => {
    tail = (tail + chunk).slice(-OUTPUT_TAIL_CHARS);
    everyWorkerListening ||= tail.includes(EVERY_WORKER_LISTENING);
  };
  child.stdout!.setEncoding('utf8').on('data', keep);
  child.stderr!.setEncoding('utf8').on('data', keep);
  const exited = once(child, 'exit');
  void exited.then(([code, signal]) => keep(`\n[the service exited: ${code ?? signal}]`));
  const endpoints = endpointsOf(`http://127.0.0.1:${port}/graphql`);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    if (options.redisUrl !== 'memory') await deleteKeys(options.redisUrl, keyPrefix).catch(() => undefined);
  };
  try {
    await waitUntilReady(
      endpoints.origin,
      () => everyWorkerListening,
      exited,
      () => tail,
      60_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { ...endpoints, pid: child.pid, output: () => tail, stop };
}

/** A service someone else runs: nothing to start or stop. */
export function targetServer(url: string, pid: number | undefined): ServerUnderTest {
  return { ...endpointsOf(url), pid, output: () => '', stop: async () => undefined };
}
