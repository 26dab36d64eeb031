import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis/redis-clients';
import { CHALLENGE_TTL_SECONDS, type CertificatePair, type CertificateStore, ORDER_LOCK_TTL_MS } from './certificate-store';

/** Deletes the lock only if it is still ours (it may have expired and been taken since). */
const RELEASE_LOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/**
 * The store shared by every process on one Redis: whoever orders, all of them serve the
 * result. The client is handed in and closed by whoever created it.
 */
export function createRedisCertificateStore(redis: RedisClient, keyPrefix: string): CertificateStore {
  const key = (name: string) => `${keyPrefix}acme:${name}`;
  return {
    readAccountKey: async () => (await redis.get(key('account-key'))) ?? undefined,
    async writeAccountKey(pem) {
      await redis.set(key('account-key'), pem);
    },
    async readCertificate() {
      const [cert, privateKey] = await redis.hmget(key('certificate'), 'cert', 'key');
      return cert && privateKey ? { cert, key: privateKey } : undefined;
    },
    async writeCertificate(pair: CertificatePair) {
      // One HSET: a reader never sees a certificate with another one's key.
      await redis.hset(key('certificate'), { cert: pair.cert, key: pair.key });
    },
    async withOrderLock(work) {
      const holder = randomUUID();
      if ((await redis.set(key('order-lock'), holder, 'PX', ORDER_LOCK_TTL_MS, 'NX')) !== 'OK') return undefined;
      try {
        return await work();
      } finally {
        await redis.eval(RELEASE_LOCK, 1, key('order-lock'), holder);
      }
    },
    async putChallenge(token, keyAuthorization) {
      await redis.set(key(`challenge:${token}`), keyAuthorization, 'EX', CHALLENGE_TTL_SECONDS);
    },
    readChallenge: async (token) => (await redis.get(key(`challenge:${token}`))) ?? undefined,
    async removeChallenge(token) {
      await redis.del(key(`challenge:${token}`));
    },
    close: async () => {},
  };
}
