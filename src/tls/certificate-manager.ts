import type { Logger } from '../observability/logger';
import type { CertificatePair, CertificateStore } from './certificate-store';
import { coversDomains, type Validity, validityOf } from './certificate-validity';

export interface RetryPolicy {
  /** The wait after the first failure; it doubles with each further one. */
  readonly minMs: number;
  readonly maxMs: number;
}

/**
 * From 5 minutes up to 6 hours: a misconfiguration does not spend Let's Encrypt's limit of 5
 * failed validations per hostname and hour, and a renewal 30 days ahead has time for many tries.
 */
export const DEFAULT_RETRY: RetryPolicy = { minMs: 5 * 60_000, maxMs: 6 * 3_600_000 };

export interface CertificateManagerOptions {
  readonly store: CertificateStore;
  readonly domains: readonly string[];
  /** Orders a new certificate from the CA (called under the store's order lock). */
  readonly order: () => Promise<CertificatePair>;
  /** Serve this certificate from now on. */
  readonly onCertificate: (pair: CertificatePair, validity: Validity) => void;
  readonly onFailure: (error: Error) => void;
  readonly logger: Logger;
  /** How often a process looks in the store for a certificate another process obtained. */
  readonly checkIntervalMs?: number;
  readonly retry?: RetryPolicy;
}

/** While nothing is served yet, the store is looked at this often (another process may be ordering). */
const PENDING_CHECK_MS = 1000;

/**
 * Keeps a certificate for `domains` in service: takes the stored one, orders one when there is
 * none or it is due for renewal (one process at a time, under the store's lock), and retries a
 * failed order with exponential backoff. A certificate stays in service until a new one exists,
 * even past its expiry: an expiring certificate is better than none.
 */
export function createCertificateManager(options: CertificateManagerOptions) {
  const { store, domains, order, onCertificate, onFailure, checkIntervalMs = 60_000, retry = DEFAULT_RETRY } = options;
  const log = options.logger.child({ component: 'acme' });
  let served: { pair: CertificatePair; validity: Validity } | undefined;
  let failures = 0;
  let retryAtMs = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let onFirstServed: (() => void) | undefined;
  const firstServed = new Promise<void>((resolve) => (onFirstServed = resolve));

  const isCurrent = (pair: CertificatePair) => coversDomains(pair, domains) && Date.now() < validityOf(pair).renewAtMs;

  function serve(pair: CertificatePair): void {
    const validity = validityOf(pair);
    served = { pair, validity };
    onCertificate(pair, validity);
    log.info(
      { domains, expiresAt: new Date(validity.notAfterMs).toISOString(), renewAt: new Date(validity.renewAtMs).toISOString() },
      'serving the certificate',
    );
    onFirstServed?.();
  }

  async function orderUnderLock(): Promise<CertificatePair | undefined> {
    return store.withOrderLock(async () => {
      // Another process may have renewed between our look and the lock.
      const current = await store.readCertificate();
      if (current && isCurrent(current)) return current;
      log.info({ domains, renewal: served !== undefined }, 'ordering a certificate');
      const pair = await order();
      await store.writeCertificate(pair);
      return pair;
    });
  }

  async function check(): Promise<void> {
    const stored = await store.readCertificate();
    if (stored && stored.cert !== served?.pair.cert && coversDomains(stored, domains)) serve(stored);
    const due = served === undefined || !coversDomains(served.pair, domains) || Date.now() >= served.validity.renewAtMs;
    if (!due || Date.now() < retryAtMs) return;
    try {
      const fresh = await orderUnderLock();
      failures = 0;
      retryAtMs = 0;
      if (fresh && fresh.cert !== served?.pair.cert) serve(fresh);
    } catch (error) {
      failures += 1;
      const waitMs = Math.min(retry.maxMs, retry.minMs * 2 ** (failures - 1));
      retryAtMs = Date.now() + waitMs;
      const still = served && { servingUntil: new Date(served.validity.notAfterMs).toISOString() };
      log.error(
        { err: (error as Error).message, domains, failures, retryInMs: waitMs, ...still },
        'could not obtain a certificate; keeping the one in service',
      );
      onFailure(error as Error);
    }
  }

  function nextCheckAt(): number {
    const now = Date.now();
    let at = now + (served ? checkIntervalMs : PENDING_CHECK_MS);
    if (served && served.validity.renewAtMs > now) at = Math.min(at, served.validity.renewAtMs);
    if (retryAtMs > now) at = Math.min(at, Math.max(retryAtMs, now + PENDING_CHECK_MS));
    return at;
  }

  function loop(): void {
    check()
      .catch((error: Error) => {
        // The store itself failed (Redis down, disk full): try again at the next check.
        log.error({ err: error.message }, 'could not read the certificate store');
        onFailure(error);
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, Math.max(0, nextCheckAt() - Date.now()));
      });
  }

  return {
    /** Starts checking; resolves once a certificate is in service. */
    start(): Promise<void> {
      loop();
      return firstServed;
    },
    stop(): void {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
