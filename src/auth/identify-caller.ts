import { ANONYMOUS, type AuthFailureReason, type Caller } from '../events/caller';
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
    if (token === null) return { kind: 'invalid', reason: 'the authorization value must be "Bearer <token>"', failure: 'malformed' };
    if (isPublisherToken(token)) return { kind: 'publisher' };
    try {
      return { kind: 'user', user: await verifyUserToken(token) };
    } catch (error) {
      if (error instanceof InvalidUserTokenError) return { kind: 'invalid', reason: error.message, failure: error.failure };
      throw error;
    }
  };
}

/**
 * The same identifier, counting each refused token by its reason. Given to every place where a
 * refusal becomes the answer (Yoga's context, the WebSocket's connection_init), not to the HTTP
 * mutation fast path, which hands a refused request to Yoga: it would be counted twice.
 */
export function countingAuthFailures(identifyCaller: IdentifyCaller, authFailed: (reason: AuthFailureReason) => void): IdentifyCaller {
  return async (authorization) => {
    const caller = await identifyCaller(authorization);
    if (caller.kind === 'invalid') authFailed(caller.failure);
    return caller;
  };
}
