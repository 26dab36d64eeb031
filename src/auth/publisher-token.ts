import { createHash, hash, timingSafeEqual } from 'node:crypto';

export type IsPublisherToken = (candidate: string) => boolean;

/** One-shot `crypto.hash` where it exists (Node 20.12+): cheaper than a `createHash` object per request. */
const digest: (value: string) => Buffer =
  typeof hash === 'function' ? (value) => hash('sha256', value, 'buffer') : (value) => createHash('sha256').update(value).digest();

/**
 * Matches a presented secret against every configured publisher token in constant time: each
 * comparison is between fixed-length digests, and all tokens are always compared, so neither
 * the length nor the position of a match leaks through timing.
 */
export function createPublisherTokenMatcher(tokens: readonly string[]): IsPublisherToken {
  const digests = tokens.map(digest);
  return (candidate) => {
    const candidateDigest = digest(candidate);
    let matched = false;
    for (const tokenDigest of digests) matched = timingSafeEqual(candidateDigest, tokenDigest) || matched;
    return matched;
  };
}
