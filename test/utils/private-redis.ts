import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort } from './free-port';

/**
 * A Redis of the test's own on a spare port, with an append-only file so that what it holds
 * survives a restart, to be stopped and started again at will.
 */
export async function startPrivateRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'private-redis-'));
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const output = child.stdout!.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: string) => chunk.includes('Ready to accept connections') && resolve();
      output.on('data', onData);
      child!.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
    });
    output.resume();
  }

  async function stop(): Promise<void> {
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    /** How many connections are subscribed to `channel`, as Redis itself counts them. */
    async subscribersOf(channel: string): Promise<number> {
      const client = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => {});
      try {
        const [, count] = (await client.pubsub('NUMSUB', channel)) as [string, number];
        return Number(count);
      } finally {
        client.disconnect();
      }
    },
  };
}
