import * as acme from 'acme-client';
import type { CertificatePair, CertificateStore } from './certificate-store';

export interface AcmeAccount {
  readonly directoryUrl: string;
  readonly email?: string;
}

/**
 * One RFC 8555 order through acme-client: the account (created once, its key kept in the
 * store), a fresh P-256 key for the certificate, HTTP-01 answers put in the store for whichever
 * process the CA reaches. Rejects with the CA's problem when it refuses.
 */
export async function orderCertificate(account: AcmeAccount, domains: readonly string[], store: CertificateStore): Promise<CertificatePair> {
  let accountKey = await store.readAccountKey();
  if (accountKey === undefined) {
    accountKey = (await acme.crypto.createPrivateEcdsaKey()).toString();
    await store.writeAccountKey(accountKey);
  }
  const client = new acme.Client({ directoryUrl: account.directoryUrl, accountKey, backoffAttempts: 10, backoffMin: 500, backoffMax: 10_000 });
  const [key, csr] = await acme.crypto.createCsr({ commonName: domains[0], altNames: [...domains] }, await acme.crypto.createPrivateEcdsaKey());
  const cert = await client.auto({
    csr,
    email: account.email,
    termsOfServiceAgreed: true,
    challengePriority: ['http-01'],
    // acme-client would first fetch the answer itself through public DNS and port 80, which
    // fails on hosts that cannot reach their own public address; the CA's check is the one that counts.
    skipChallengeVerification: true,
    challengeCreateFn: (_authz, challenge, keyAuthorization) => store.putChallenge(challenge.token, keyAuthorization),
    challengeRemoveFn: (_authz, challenge) => store.removeChallenge(challenge.token),
  });
  return { cert, key: key.toString() };
}
