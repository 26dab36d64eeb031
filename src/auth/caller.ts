/** A signed-in user as their token describes them. */
export interface UserIdentity {
  readonly id: string;
  readonly roles: readonly string[];
  /** When the token stops being valid, in ms since the epoch. */
  readonly expiresAtMs: number;
}

/** Who is calling, decided once per request or per WebSocket connection. */
export type Caller =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'user'; readonly user: UserIdentity }
  | { readonly kind: 'publisher' }
  | { readonly kind: 'invalid'; readonly reason: string };

export const ANONYMOUS: Caller = Object.freeze({ kind: 'anonymous' });
