import { errors, jwtVerify, type JWTPayload } from 'jose';
import type { AuthFailureReason, UserIdentity } from '../events/caller';

export interface UserTokenOptions {
  readonly secret: string;
  readonly issuer?: string;
  readonly audience?: string;
}

export class InvalidUserTokenError extends Error {
  constructor(
    reason: string,
    readonly failure: AuthFailureReason = 'malformed',
  ) {
    super(reason);
    this.name = 'InvalidUserTokenError';
  }
}

export type VerifyUserToken = (token: string) => Promise<UserIdentity>;

/**
 * Verifies the HS256 JWTs that Laravel issues: signature, `exp` (required), and `iss`/`aud`
 * when configured. `sub` may be a string or a number; `roles`, when present, lists strings.
 */
export function createUserTokenVerifier(options: UserTokenOptions): VerifyUserToken {
  const key = new TextEncoder().encode(options.secret);
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        issuer: options.issuer,
        audience: options.audience,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      throw new InvalidUserTokenError(describeJoseError(error), classifyJoseError(error));
    }
    const sub: unknown = payload.sub;
    if ((typeof sub !== 'string' && typeof sub !== 'number') || String(sub) === '') {
      throw new InvalidUserTokenError('the sub claim must be a non-empty string or a number');
    }
    const roles: unknown = payload['roles'] ?? [];
    if (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string')) {
      throw new InvalidUserTokenError('the roles claim must be an array of strings');
    }
    return { id: String(sub), roles, expiresAtMs: (payload.exp as number) * 1000 };
  };
}

function describeJoseError(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `the ${error.claim} claim is not accepted`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token is not signed with HS256';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is invalid';
  return 'the token is not a valid JWT';
}

function classifyJoseError(error: unknown): AuthFailureReason {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss' || error.claim === 'aud') return 'issuer_audience';
    if (error.claim === 'nbf' || error.claim === 'iat') return 'expired';
    return 'malformed'; // a required claim (exp, sub) missing or of the wrong type
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  return 'malformed';
}
