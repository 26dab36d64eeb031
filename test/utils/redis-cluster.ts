import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import type { RedisTopology } from '../../src/redis/redis-topology';
import { freePort } from './free-port';
import { startRedisProcess, type RedisProcess } from './redis-process';

/** How long the cluster's nodes wait before they call an unanswering master failed. */
export const NODE_TIMEOUT_MS = 1000;

function client(port: number): Redis {
  const redis = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  return redis;
}

/** Six nodes on free loopback ports: three masters, each with a replica (`redis-cli --cluster create`). */
export async function startRedisCluster() {
  const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
  const nodes: Array<{ port: number; process: RedisProcess }> = [];
  for (let index = 0; index < 6; index += 1) {
    const port = await freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--repl-diskless-sync-delay', '0'];
    const cluster = ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', String(NODE_TIMEOUT_MS)];
    nodes.push({ port, process: await startRedisProcess('redis-server', [...args, ...cluster], 'Ready to accept connections') });
  }
  const addresses = nodes.map(({ port }) => `127.0.0.1:${port}`);
  await promisify(execFile)('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes']);
  // Every node must agree before a client's first command lands (no event to wait on, so ask),
  // and a replica can take over only once it has synchronised with its master.
  await Promise.all(nodes.map(({ port }) => untilClusterOk(port)));
  await Promise.all(
    nodes.map(({ process }) =>
      Promise.race([
        process.waitForOutput('MASTER <-> REPLICA sync: Finished with success'),
        process.waitForOutput(/Synchronization with replica \S+ succeeded/),
      ]),
    ),
  );

  const topology: RedisTopology = { kind: 'cluster', nodes: nodes.map(({ port }) => ({ host: '127.0.0.1', port })) };
  return {
    topology,
    /** REDIS_CLUSTER_NODES */
    nodes: addresses.join(','),
    /** The masters' ports, as the cluster sees them now. */
    async masterPorts(): Promise<number[]> {
      const alive = nodes.find(({ process }) => process.child.exitCode === null && process.child.signalCode === null)!;
      const redis = client(alive.port);
      try {
        const shards = (await redis.call('CLUSTER', 'SHARDS')) as unknown[];
        return shards.flatMap((shard) => {
          const fields = shard as unknown[];
          const shardNodes = fields[fields.indexOf('nodes') + 1] as unknown[][];
          return shardNodes
            .map((node) => Object.fromEntries(Array.from({ length: node.length / 2 }, (_, i) => [node[2 * i], node[2 * i + 1]])))
            .filter((node) => node['role'] === 'master' && node['health'] === 'online')
            .map((node) => Number(node['port']));
        });
      } finally {
        redis.disconnect();
      }
    },
    /** The port of the master that holds `key`'s slot now. */
    async masterOf(key: string): Promise<number> {
      const redis = client(nodes.find(({ process }) => process.child.exitCode === null && process.child.signalCode === null)!.port);
      try {
        const slot = await redis.cluster('KEYSLOT', key);
        const ranges = await redis.cluster('SLOTS');
        return ranges.find(([from, to]) => slot >= from && slot <= to)![2]![1];
      } finally {
        redis.disconnect();
      }
    },
    /** Zeroes every master's INFO commandstats. */
    async resetCommandStats(): Promise<void> {
      for (const port of await this.masterPorts()) {
        const redis = client(port);
        await redis.config('RESETSTAT').finally(() => redis.disconnect());
      }
    },
    /** Each master's count of data commands since `resetCommandStats` (INFO commandstats, without cluster upkeep), by port. */
    async commandCalls(): Promise<Map<number, number>> {
      const upkeep = new Set(['cluster', 'info', 'ping', 'config', 'client', 'command', 'readonly', 'select', 'hello']);
      const calls = new Map<number, number>();
      for (const port of await this.masterPorts()) {
        const redis = client(port);
        try {
          const info = await redis.info('commandstats');
          let total = 0;
          for (const [, name, count] of info.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)) if (!upkeep.has(name!.split('|')[0]!)) total += Number(count);
          calls.set(port, total);
        } finally {
          redis.disconnect();
        }
      }
      return calls;
    },
    /**
     * Stops the replica of the master on `masterPort` (SIGSTOP: alive, its connections open, but
     * taking nothing from its master) until the function it resolves with resumes it (SIGCONT).
     */
    async pauseReplicaOf(masterPort: number): Promise<() => void> {
      const redis = client(masterPort);
      try {
        const id = (await redis.call('CLUSTER', 'MYID')) as string;
        const [line] = (await redis.call('CLUSTER', 'REPLICAS', id)) as string[];
        const port = Number(/:(\d+)@/.exec(line ?? '')?.[1]);
        const replica = nodes.find((node) => node.port === port);
        if (!replica) throw new Error(`no replica of the master on ${masterPort}: ${line}`);
        replica.process.child.kill('SIGSTOP');
        return () => replica.process.child.kill('SIGCONT');
      } finally {
        redis.disconnect();
      }
    },
    /** kill -9 the master on `port`; resolves once its replica has taken over (the cluster is ok again). */
    async killMaster(port: number): Promise<{ killedAt: number; promotedAt: number }> {
      const killedAt = Date.now();
      await nodes.find((node) => node.port === port)!.process.kill();
      const others = nodes.filter((node) => node.port !== port);
      // The replica that takes over says so.
      await Promise.any(others.map((node) => node.process.waitForOutput("Failover election won: I'm the new master.")));
      return { killedAt, promotedAt: Date.now() };
    },
    async stop(): Promise<void> {
      await Promise.all(nodes.map(({ process }) => process.kill()));
    },
  };

  async function untilClusterOk(port: number): Promise<void> {
    const redis = client(port);
    try {
      while (!(await redis.cluster('INFO')).includes('cluster_state:ok')) await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      redis.disconnect();
    }
  }
}

/** Starts a cluster before this file's tests and stops it after them; `topology()` is for use inside tests. */
export function useRedisCluster() {
  let cluster: Awaited<ReturnType<typeof startRedisCluster>> | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterAll(() => cluster?.stop());
  return {
    topology: (): RedisTopology => cluster!.topology,
    cluster: () => cluster!,
  };
}
