import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CHALLENGE_TTL_SECONDS, type CertificateStore, ORDER_LOCK_TTL_MS } from './certificate-store';
import { readCertificateFiles, writeCertificateFiles, writeFileAtomically } from './certificate-files';

const TOKEN = /^[A-Za-z0-9_-]+$/;

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * ACME_DIR without Redis: the account key, fullchain.pem and privkey.pem, the pending
 * challenge answers and an order lock file, so that the worker processes of one host share
 * them as processes on one Redis do.
 */
export function createDiskCertificateStore(dir: string): CertificateStore {
  const challengeFile = (token: string) => {
    // Tokens come from the CA or, when answering, from a request path: never a path of their own.
    if (!TOKEN.test(token)) throw new Error('not an ACME token');
    return join(dir, 'challenges', token);
  };
  const lockFile = join(dir, 'order.lock');

  async function takeLock(): Promise<boolean> {
    await mkdir(dir, { recursive: true });
    try {
      await (await open(lockFile, 'wx')).close();
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A holder that died leaves its file behind: past the TTL it is stale.
      const { mtimeMs } = await stat(lockFile).catch(() => ({ mtimeMs: Date.now() }));
      if (Date.now() - mtimeMs < ORDER_LOCK_TTL_MS) return false;
      await rm(lockFile, { force: true });
      return takeLock();
    }
  }

  return {
    readAccountKey: () => readOptional(join(dir, 'account.key')),
    async writeAccountKey(pem) {
      await mkdir(dir, { recursive: true });
      await writeFileAtomically(join(dir, 'account.key'), pem, 0o600);
    },
    readCertificate: () => readCertificateFiles(dir),
    writeCertificate: (pair) => writeCertificateFiles(dir, pair),
    async withOrderLock(work) {
      if (!(await takeLock())) return undefined;
      try {
        return await work();
      } finally {
        await rm(lockFile, { force: true });
      }
    },
    async putChallenge(token, keyAuthorization) {
      const file = challengeFile(token);
      await mkdir(join(dir, 'challenges'), { recursive: true });
      await writeFileAtomically(file, keyAuthorization, 0o644);
    },
    async readChallenge(token) {
      if (!TOKEN.test(token)) return undefined;
      const file = challengeFile(token);
      const written = await stat(file).catch(() => undefined);
      if (!written || Date.now() - written.mtimeMs > CHALLENGE_TTL_SECONDS * 1000) return undefined;
      return readOptional(file);
    },
    async removeChallenge(token) {
      await rm(challengeFile(token), { force: true });
    },
    close: async () => {},
  };
}
