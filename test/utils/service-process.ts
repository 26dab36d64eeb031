import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { freePort } from './free-port';
import { isolatedPrefix, REDIS_URL } from './redis';
import { pollUntil } from './poll';

const ROOT = join(__dirname, '..', '..');

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly wsUrl: string;
  readonly origin: string;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Resolves once stdout contains `text`. */
  waitForStdout(text: string): Promise<void>;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** Runs `src/main.ts` as `npm start` would, in a process of its own. */
export function runService(env: Record<string, string>): {
  child: ChildProcess;
  output: () => { stdout: string; stderr: string };
  exited: Promise<number | null>;
} {
  // One process (tsx as a loader, not its CLI, which would fork a second one that a kill misses).
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOST: '127.0.0.1', ...env },
    stdio: 'pipe',
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit').then(([code]) => {
    children.delete(child);
    return code as number | null;
  });
  return { child, output: () => ({ stdout, stderr }), exited };
}

/** Starts the service on a free port and resolves once it listens. */
export async function startServiceProcess(env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  // Its 'listening' line is how this knows the service is up, so info is the least level here.
  const { child, output, exited } = runService({ PORT: String(port), LOG_LEVEL: 'info', ...env });
  const waitForStdout = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const onData = () => {
        if (!output().stdout.includes(text)) return;
        child.stdout!.off('data', onData);
        resolve();
      };
      child.stdout!.on('data', onData);
      void exited.then((code) => reject(new Error(`the service exited with ${code}: ${output().stderr}`)));
      onData();
    });
  await waitForStdout('"msg":"listening"');
  const origin = `http://127.0.0.1:${port}`;
  return { child, url: `${origin}/graphql`, wsUrl: `ws://127.0.0.1:${port}/graphql`, origin, stdout: () => output().stdout, waitForStdout, exited };
}

/** Two service processes on the test Redis under one fresh key prefix: one service, two processes. */
export function startServicePair(env: Record<string, string> = {}): Promise<[ServiceProcess, ServiceProcess]> {
  const shared = { REDIS_URL, REDIS_KEY_PREFIX: isolatedPrefix(), ...env };
  return Promise.all([startServiceProcess(shared), startServiceProcess(shared)]);
}

/**
 * Resolves once the service's /metrics shows `count` live subscriptions of `field`. Another
 * process offers no event to wait on, so this asks it, a few milliseconds apart.
 */
export async function waitForLiveSubscriptions(origin: string, field: string, count: number): Promise<void> {
  const line = `realtime_active_subscriptions{field="${field}"} ${count}`;
  // A process that never ran a subscription of `field` shows no line for it: none is live.
  const unseen = `realtime_active_subscriptions{field="${field}"}`;
  const isLive = async () => {
    const text = await (await fetch(`${origin}/metrics`)).text();
    return text.split('\n').includes(line) || (count === 0 && !text.includes(unseen));
  };
  await pollUntil(isLive, { what: `${count} live ${field} subscriptions at ${origin}` });
}
