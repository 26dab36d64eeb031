import { Redis } from 'ioredis';
import type { RedisClient } from './redis-clients';

/**
 * Runs `issue`, which sends commands on `client`, with the client's socket corked, so that
 * Node writes them all in one system call when it is uncorked, as an ioredis pipeline would.
 * Without the pipeline: its objects live in the old generation (it defines an accessor on each
 * instance, which moves the instance's properties there), and what they point to, every
 * command, reply and waiting caller of the round, is then kept through two young collections
 * and promoted, to be freed only by a full one. On a cluster, where commands go to the node of
 * their slot, it only runs `issue`.
 */
export function writeTogether(client: RedisClient, issue: () => void): void {
  const stream = client instanceof Redis ? client.stream : undefined;
  stream?.cork();
  try {
    issue();
  } finally {
    stream?.uncork();
  }
}
