import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CertificatePair } from './certificate-store';

/** The names certbot uses, so that nginx (or anything else) can be pointed at them the usual way. */
export const CERT_FILE = 'fullchain.pem';
export const KEY_FILE = 'privkey.pem';

/**
 * Replaces a file in one step (write beside it, then rename), so a reader sees the old file or
 * the new one, never half of one. The private key is readable by the owner and the directory's
 * group only (nginx's group, when nginx serves it).
 */
export async function writeFileAtomically(file: string, content: string, mode = 0o640): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, content, { mode });
  await chmod(temporary, mode);
  await rename(temporary, file);
}

/** Writes the key first: a reader that finds the new chain beside the old key retries (the pair does not load). */
export async function writeCertificateFiles(dir: string, pair: CertificatePair): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFileAtomically(join(dir, KEY_FILE), pair.key);
  await writeFileAtomically(join(dir, CERT_FILE), pair.cert, 0o644);
}

export async function readCertificateFiles(dir: string): Promise<CertificatePair | undefined> {
  try {
    const [cert, key] = await Promise.all([readFile(join(dir, CERT_FILE), 'utf8'), readFile(join(dir, KEY_FILE), 'utf8')]);
    return { cert, key };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
