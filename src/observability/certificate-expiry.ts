import { X509Certificate } from 'node:crypto';

/** When the first certificate of a PEM chain (the server's own) stops being valid, in ms since the epoch. */
export function certificateNotAfterMs(pem: Buffer | string): number {
  return Date.parse(new X509Certificate(pem).validTo);
}
