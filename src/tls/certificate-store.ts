/** A certificate chain (leaf first, PEM) and its private key (PEM), as served. */
export interface CertificatePair {
  readonly cert: string;
  readonly key: string;
}

/**
 * Where the ACME account key, the current certificate and the pending HTTP-01 answers live.
 * Every process that shares a store serves the certificate it holds, and any of them can
 * answer a challenge another one started; `withOrderLock` lets one of them order at a time.
 */
export interface CertificateStore {
  readAccountKey(): Promise<string | undefined>;
  writeAccountKey(pem: string): Promise<void>;
  readCertificate(): Promise<CertificatePair | undefined>;
  writeCertificate(pair: CertificatePair): Promise<void>;
  /** Runs `work` while holding the store's order lock; resolves undefined at once when another holder has it. */
  withOrderLock<T>(work: () => Promise<T>): Promise<T | undefined>;
  putChallenge(token: string, keyAuthorization: string): Promise<void>;
  readChallenge(token: string): Promise<string | undefined>;
  removeChallenge(token: string): Promise<void>;
  close(): Promise<void>;
}

/** Longer than an order takes (the CA's validation included); a holder that died frees the lock after it. */
export const ORDER_LOCK_TTL_MS = 10 * 60_000;
/** A challenge answer outlives any validation of it. */
export const CHALLENGE_TTL_SECONDS = 60 * 60;
