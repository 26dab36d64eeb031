import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export interface RedisProcess {
  readonly child: ChildProcess;
  /** Everything it has logged so far. */
  output(): string;
  /** Resolves once its log contains `text`; rejects after `timeoutMs` with what it logged. */
  waitForOutput(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** kill -9, as a crash would; resolves once it is gone. */
  kill(): Promise<void>;
}

const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts `redis-server` (or `redis-sentinel`) with `args` and resolves once it accepts connections. */
export async function startRedisProcess(
  program: 'redis-server' | 'redis-sentinel',
  args: readonly string[],
  readyLine: string | RegExp,
): Promise<RedisProcess> {
  const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  running.add(child);
  const exited = once(child, 'exit').then(() => running.delete(child));
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const waitForOutput = (text: string | RegExp, timeoutMs = 30_000) =>
    new Promise<void>((resolve, reject) => {
      const matches = () => (typeof text === 'string' ? output.includes(text) : text.test(output));
      const timer = setTimeout(() => {
        child.stdout.off('data', onData);
        reject(new Error(`${program} did not log ${text} within ${timeoutMs} ms:\n${output.slice(-3000)}`));
      }, timeoutMs);
      const onData = () => {
        if (!matches()) return;
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve();
      };
      child.stdout.on('data', onData);
      void exited.then(() => reject(new Error(`${program} ${args.join(' ')} exited before logging ${text}:\n${output}`)));
      onData();
    });
  await waitForOutput(readyLine);
  return {
    child,
    output: () => output,
    waitForOutput,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
