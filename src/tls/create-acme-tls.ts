import type { Server as HttpsServer } from 'node:https';
import type { AcmeConfig } from '../config/config';
import type { SharedState } from '../redis/shared-state';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { writeCertificateFiles } from './certificate-files';
import { createCertificateManager } from './certificate-manager';
import type { CertificateStore } from './certificate-store';
import { createChallengeResponder } from './challenge-responder';
import { createDiskCertificateStore } from './disk-certificate-store';
import { orderCertificate } from './order-certificate';
import { createRedisCertificateStore } from './redis-certificate-store';

/** On Redis when the service runs on Redis (every process serves one certificate), else in ACME_DIR. */
function createCertificateStore(acme: AcmeConfig, bus: SharedState): CertificateStore {
  if (bus.kind !== 'redis') return createDiskCertificateStore(acme.dir as string);
  const redis = bus.redis.forCommands('acme', { queueWhileConnecting: true });
  const store = createRedisCertificateStore(redis, bus.keyPrefix);
  return { ...store, close: async () => void (await redis.quit().catch(() => redis.disconnect())) };
}

export interface AcmeTlsOptions {
  readonly acme: AcmeConfig;
  readonly bus: SharedState;
  readonly server: HttpsServer;
  /** Where the redirect to https points (the service's PORT). */
  readonly httpsPort: number;
  readonly host: string;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

/**
 * TLS by itself: the HTTP-01 responder on ACME_HTTP_PORT, then a certificate obtained (or found
 * in the store) before `start` resolves, renewed ahead of expiry and swapped into the running
 * server with setSecureContext: new connections get the new certificate, open ones keep theirs.
 * With ACME_DIR set, the certificate in service is also written there (fullchain.pem,
 * privkey.pem) for an nginx in front.
 */
export function createAcmeTls({ acme, bus, server, httpsPort, host, metrics, logger }: AcmeTlsOptions) {
  const log = logger.child({ component: 'acme' });
  const store = createCertificateStore(acme, bus);
  const responder = createChallengeResponder(store, httpsPort, logger);
  const manager = createCertificateManager({
    store,
    domains: acme.domains,
    order: () => orderCertificate({ directoryUrl: acme.directoryUrl, email: acme.email }, acme.domains, store),
    onCertificate(pair, validity) {
      server.setSecureContext({ cert: pair.cert, key: pair.key });
      metrics.tlsCertificateServed(validity.notAfterMs);
      if (bus.kind === 'redis' && acme.dir !== undefined) {
        writeCertificateFiles(acme.dir, pair).catch((error: Error) =>
          log.error({ err: error.message, dir: acme.dir }, 'could not write the certificate to ACME_DIR'),
        );
      }
    },
    onFailure: () => metrics.acmeFailed(),
    logger,
  });

  return {
    async start(): Promise<void> {
      await new Promise<void>((resolve, reject) => {
        responder.once('error', reject);
        responder.listen(acme.httpPort, host, () => {
          responder.off('error', reject);
          resolve();
        });
      });
      log.info({ port: acme.httpPort, domains: acme.domains, directoryUrl: acme.directoryUrl }, 'answering ACME HTTP-01 challenges; waiting for a certificate');
      await manager.start();
    },
    async stop(): Promise<void> {
      manager.stop();
      await new Promise<void>((resolve) => (responder.listening ? responder.close(() => resolve()) : resolve()));
      responder.closeAllConnections();
      await store.close();
    },
  };
}
