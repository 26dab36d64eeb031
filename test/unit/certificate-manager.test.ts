import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createCertificateManager } from '../../src/tls/certificate-manager';
import type { CertificatePair } from '../../src/tls/certificate-store';
import { createDiskCertificateStore } from '../../src/tls/disk-certificate-store';
import { makeSelfSignedCertificate } from '../utils/certificates';

/** A one-day certificate for `domain`: valid, and not due for renewal for 16 hours. */
function makeCertificate(dir: string, domain: string): CertificatePair {
  const { cert, key } = makeSelfSignedCertificate(dir, domain, `DNS:${domain}`);
  return { cert, key };
}

describe('certificate manager', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mechamap-manager-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('retries a failed order with a doubling wait, then serves and stores what it obtains', async () => {
    const certificate = makeCertificate(dir, 'realtime.mechamap.test');
    const store = createDiskCertificateStore(join(dir, 'acme'));
    const attempts: number[] = [];
    const failures: string[] = [];
    const served: CertificatePair[] = [];
    const manager = createCertificateManager({
      store,
      domains: ['realtime.mechamap.test'],
      order: async () => {
        attempts.push(Date.now());
        if (attempts.length <= 2) throw new Error(`refused ${attempts.length}`);
        return certificate;
      },
      onCertificate: (pair) => served.push(pair),
      onFailure: (error) => failures.push(error.message),
      logger: pino({ level: 'silent' }),
      retry: { minMs: 1000, maxMs: 5000 },
    });
    await manager.start();
    manager.stop();

    expect(failures).toEqual(['refused 1', 'refused 2']);
    expect(served).toEqual([certificate]);
    expect(await store.readCertificate()).toEqual(certificate);
    const [first, second, third] = attempts as [number, number, number];
    expect(second - first).toBeGreaterThanOrEqual(1000);
    expect(third - second).toBeGreaterThanOrEqual(2000);
  });

  it('serves a stored certificate for the domains without ordering, and orders again when ACME_DOMAINS changes', async () => {
    const store = createDiskCertificateStore(join(dir, 'acme'));
    const stored = makeCertificate(dir, 'realtime.mechamap.test');
    await store.writeCertificate(stored);
    const fresh = makeCertificate(dir, 'ws.mechamap.test');
    const served: CertificatePair[] = [];
    const run = async (domain: string) => {
      const manager = createCertificateManager({
        store,
        domains: [domain],
        order: async () => fresh,
        onCertificate: (pair) => served.push(pair),
        onFailure: (error) => {
          throw error;
        },
        logger: pino({ level: 'silent' }),
      });
      await manager.start();
      manager.stop();
    };
    await run('realtime.mechamap.test');
    await run('ws.mechamap.test');
    expect(served).toEqual([stored, fresh]);
  });
});
