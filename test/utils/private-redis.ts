import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort } from './free-port';
import { startRedisProcess, type RedisProcess } from './redis-process';

/**
 * A Redis of the test's own on a spare port, with an append-only file so that what it holds
 * survives a restart, to be stopped and started again at will.
 */
export async function startPrivateRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'private-redis-'));
  let server: RedisProcess | undefined;

  async function start(): Promise<void> {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];
    server = await startRedisProcess('redis-server', args, 'Ready to accept connections');
  }

  async function stop(): Promise<void> {
    await server?.kill();
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
