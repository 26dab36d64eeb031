/** One Redis or Sentinel address, as `host:port` in the environment. */
export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

/**
 * Where Redis is, in one of the three ways it can be run:
 * - `single`: one server (REDIS_URL); an outage lasts until someone brings it back;
 * - `sentinel`: a master with replicas watched by Sentinels (REDIS_SENTINELS, REDIS_SENTINEL_NAME),
 *   which promote a replica when the master dies; clients ask the Sentinels where the master is;
 * - `cluster`: Redis Cluster (REDIS_CLUSTER_NODES, seed nodes), keys and pub/sub sharded over
 *   several masters, each with its replicas.
 */
export type RedisTopology =
  | { readonly kind: 'single'; readonly url: string }
  | { readonly kind: 'sentinel'; readonly sentinels: readonly RedisNode[]; readonly name: string; readonly sentinelPassword?: string }
  | { readonly kind: 'cluster'; readonly nodes: readonly RedisNode[] };

/** How a topology reads in a log line: never a password. */
export function describeTopology(topology: RedisTopology): string {
  const list = (nodes: readonly RedisNode[]) => nodes.map(({ host, port }) => `${host}:${port}`).join(',');
  switch (topology.kind) {
    case 'single': {
      const url = new URL(topology.url);
      return `${url.protocol}//${url.host}`;
    }
    case 'sentinel':
      return `sentinel ${topology.name} via ${list(topology.sentinels)}`;
    case 'cluster':
      return `cluster via ${list(topology.nodes)}`;
  }
}
