import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Server } from 'node:https';
import type { Logger } from '../observability/logger';
import type { TlsFiles } from './http-server';

/**
 * Loads the certificate again whenever its files change (a Let's Encrypt renewal swaps them in
 * place), so new TLS connections get the new certificate without a restart; connections
 * already open keep theirs. `watchFile` polls `stat`, which follows symlinks as certbot lays
 * them out. A pair that cannot be loaded (half written) is logged and the old one kept;
 * `onReloaded` gets each certificate loaded.
 * Returns the stop function.
 */
export function reloadTlsOnChange(
  server: Server,
  files: TlsFiles,
  logger: Logger,
  onReloaded: (cert: Buffer) => void = () => {},
  intervalMs = 1000,
): () => void {
  const log = logger.child({ component: 'tls' });
  const reload = () => {
    try {
      const cert = readFileSync(files.certFile);
      server.setSecureContext({ cert, key: readFileSync(files.keyFile) });
      onReloaded(cert);
      log.info({ certFile: files.certFile }, 'reloaded the TLS certificate');
    } catch (error) {
      log.error({ err: (error as Error).message }, 'could not load the changed TLS certificate; keeping the previous one');
    }
  };
  const onChange = (current: { mtimeMs: number }, previous: { mtimeMs: number }) => {
    if (current.mtimeMs !== previous.mtimeMs) reload();
  };
  for (const file of [files.certFile, files.keyFile]) watchFile(file, { interval: intervalMs, persistent: false }, onChange);
  return () => {
    for (const file of [files.certFile, files.keyFile]) unwatchFile(file, onChange);
  };
}
