import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort } from './free-port';
import { startRedisProcess, type RedisProcess } from './redis-process';

export const SENTINEL_MASTER_NAME = 'mechamap';
/** How long the Sentinels wait before they call an unanswering master down. */
export const DOWN_AFTER_MS = 1000;

interface Node {
  readonly port: number;
  readonly process: RedisProcess;
}

/**
 * A master, `replicas` replicas and three Sentinels (quorum 2) on free loopback ports, started
 * by the test, ready once every Sentinel knows every replica and the other Sentinels.
 */
export async function startSentinelGroup({ replicas = 1 }: { replicas?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'sentinel-group-'));
  const startServer = async (extra: string[] = []): Promise<Node> => {
    const port = await freePort();
    // A directory each: a replica that found another's dump.rdb would resynchronize partially and
    // never log the full sync awaited below.
    const serverDir = mkdtempSync(join(dir, 'server-'));
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      serverDir,
      '--repl-diskless-sync-delay',
      '0',
      ...extra,
    ];
    return { port, process: await startRedisProcess('redis-server', args, 'Ready to accept connections') };
  };
  const master = await startServer();
  const replicaNodes = await Promise.all(Array.from({ length: replicas }, () => startServer(['--replicaof', '127.0.0.1', String(master.port)])));
  await Promise.all(replicaNodes.map((replica) => replica.process.waitForOutput('MASTER <-> REPLICA sync: Finished with success')));

  const sentinels: Node[] = [];
  for (let index = 0; index < 3; index += 1) {
    const port = await freePort();
    const file = join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      file,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${master.port} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} ${DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 10000`,
        `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} ${replicas}`,
        '',
      ].join('\n'),
    );
    sentinels.push({ port, process: await startRedisProcess('redis-sentinel', [file], '+monitor master') });
  }
  // Each Sentinel learns the replicas from the master's INFO and the others from their hellos.
  await Promise.all(
    sentinels.map(({ process }) =>
      Promise.all([
        ...replicaNodes.map((replica) => process.waitForOutput(`+slave slave 127.0.0.1:${replica.port}`)),
        process.waitForOutput(/\+sentinel sentinel [\s\S]*\+sentinel sentinel /),
      ]),
    ),
  );

  return {
    masterPort: master.port,
    replicaPorts: replicaNodes.map(({ port }) => port),
    /** REDIS_SENTINELS */
    sentinels: sentinels.map(({ port }) => `127.0.0.1:${port}`).join(','),
    /** Kills the master with SIGKILL and resolves with the Sentinels' +switch-master, when a replica has been promoted. */
    async killMaster(): Promise<{ killedAt: number; promotedAt: number; newMasterPort: number }> {
      const watcher = new Redis(sentinels[0]!.port, '127.0.0.1');
      try {
        const switched = new Promise<number>((resolve) =>
          watcher.on('message', (_channel: string, message: string) => {
            // "<name> <old ip> <old port> <new ip> <new port>"
            const [name, , , , port] = message.split(' ');
            if (name === SENTINEL_MASTER_NAME) resolve(Number(port));
          }),
        );
        await watcher.subscribe('+switch-master');
        const killedAt = Date.now();
        await master.process.kill();
        let timer: NodeJS.Timeout | undefined;
        const noSwitch = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no +switch-master within 30 s:\n${sentinels.map(({ process }) => process.output().slice(-2000)).join('\n')}`)),
            30_000,
          );
        });
        const newMasterPort = await Promise.race([switched, noSwitch]).finally(() => clearTimeout(timer));
        return { killedAt, promotedAt: Date.now(), newMasterPort };
      } finally {
        watcher.disconnect();
      }
    },
    /** What every process logged, for a failure's report. */
    logs(): string {
      return [master, ...replicaNodes, ...sentinels].map(({ port, process }) => `--- ${port}\n${process.output()}`).join('\n');
    },
    async stop(): Promise<void> {
      await Promise.all([...sentinels, master, ...replicaNodes].map(({ process }) => process.kill()));
    },
  };
}
