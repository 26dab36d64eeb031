import { ANONYMOUS, type Caller } from './caller';
import type { IsPublisherToken } from './publisher-token';
import { InvalidUserTokenError, type VerifyUserToken } from './user-token';

export type IdentifyCaller = (authorization: string | null | undefined) => Promise<Caller>;

/** The token of a `Bearer <token>` value, or null when the value is not one. */
export function bearerTokenOf(authorization: string): string | null {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization.trim())?.[1] ?? null;
}

/**
 * Turns an `Authorization` value (`Bearer <token>`) into a caller: no value is anonymous, a
 * publisher token is the publisher, a valid JWT is a user, anything else is invalid.
 */
export function createCallerIdentifier(verifyUserToken: VerifyUserToken, isPublisherToken: IsPublisherToken): IdentifyCaller {
  return async (authorization) => {
    if (authorization == null || authorization.trim() === '') return ANONYMOUS;
    const token = bearerTokenOf(authorization);
    if (token === null) return { kind: 'invalid', reason: 'the authorization value must be "Bearer <token>"' };
    if (isPublisherToken(token)) return { kind: 'publisher' };
    try {
      return { kind: 'user', user: await verifyUserToken(token) };
    } catch (error) {
      if (error instanceof InvalidUserTokenError) return { kind: 'invalid', reason: error.message };
      throw error;
    }
  };
}
