import { X509Certificate } from 'node:crypto';
import type { CertificatePair } from './certificate-store';

const DAY_MS = 86_400_000;

export interface Validity {
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  /** When to renew: 30 days before expiry, or a third of the life before it for certificates that live less than 90 days. */
  readonly renewAtMs: number;
}

export function validityOf(pair: CertificatePair): Validity {
  const leaf = new X509Certificate(pair.cert);
  const notBeforeMs = Date.parse(leaf.validFrom);
  const notAfterMs = Date.parse(leaf.validTo);
  const ahead = Math.min(30 * DAY_MS, (notAfterMs - notBeforeMs) / 3);
  return { notBeforeMs, notAfterMs, renewAtMs: notAfterMs - ahead };
}

/** Whether the certificate names every domain (so a changed ACME_DOMAINS orders a new one). */
export function coversDomains(pair: CertificatePair, domains: readonly string[]): boolean {
  const leaf = new X509Certificate(pair.cert);
  return domains.every((domain) => leaf.checkHost(domain, { wildcards: false }) === domain);
}
