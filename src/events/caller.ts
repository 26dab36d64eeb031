/** A signed-in user as their token describes them. */
export interface UserIdentity {
  readonly id: string;
  readonly roles: readonly string[];
  /** When the token stops being valid, in ms since the epoch. */
  readonly expiresAtMs: number;
}

/**
 * Why a token was refused, in the few words operators count by: the signature does not match
 * (or another algorithm), it expired (or is not valid yet), its issuer or audience is not ours,
 * or it is not a well-formed JWT of ours at all (missing claims, not a Bearer value).
 */
export type AuthFailureReason = 'bad_signature' | 'expired' | 'issuer_audience' | 'malformed';

/**
 * Who is calling, decided once per request or per WebSocket connection (by src/auth). A pure
 * type among the payloads: an operation handed to another process carries it over the bus.
 */
export type Caller =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'user'; readonly user: UserIdentity }
  | { readonly kind: 'publisher' }
  | { readonly kind: 'invalid'; readonly reason: string; readonly failure: AuthFailureReason };

export const ANONYMOUS: Caller = Object.freeze({ kind: 'anonymous' });
