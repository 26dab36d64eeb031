import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Caller } from '../../events/caller';

/** How long a reservation waits for its event stream; past it, the token opens nothing. */
export const RESERVATION_OPEN_WINDOW_MS = 30_000;

/** What a reservation token says, once its signature is checked. */
export interface Reservation {
  /** 24 random bytes: names the stream on every process. */
  readonly id: string;
  /** Whose stream it is (see `holderOf`): every request on it must come from the same holder. */
  readonly holder: string;
  /** The stream must be opened before this (ms since the epoch). */
  readonly openBy: number;
}

/** Who a caller is, as far as owning a stream goes: the anonymous, the publisher, or one user. */
export function holderOf(caller: Exclude<Caller, { kind: 'invalid' }>): string {
  return caller.kind === 'user' ? `user:${caller.user.id}` : caller.kind;
}

/**
 * Reservation tokens of the single connection mode, signed so that every process can read one
 * another process issued, with nothing stored: `<payload>.<HMAC-SHA256 of it>`, both base64url.
 * The key is derived from the JWT secret, which all processes of the service share. A token
 * is unguessable (its id is random and it is signed) and useless to anyone else: it names its
 * holder, and the stream and every operation on it must be asked for by that holder.
 */
export function createReservationTokens(secret: string, now: () => number = Date.now) {
  const key = createHmac('sha256', secret).update('mechamap-realtime graphql-sse reservation').digest();
  const sign = (payload: string) => createHmac('sha256', key).update(payload).digest();

  return {
    issue(holder: string): string {
      const reservation: Reservation = { id: randomBytes(24).toString('base64url'), holder, openBy: now() + RESERVATION_OPEN_WINDOW_MS };
      const payload = Buffer.from(JSON.stringify(reservation)).toString('base64url');
      return `${payload}.${sign(payload).toString('base64url')}`;
    },

    /** The reservation a token stands for, or null when it is not one this service signed. */
    read(token: string): Reservation | null {
      const [payload, signature, ...rest] = token.split('.');
      if (!payload || !signature || rest.length > 0) return null;
      const presented = Buffer.from(signature, 'base64url');
      const expected = sign(payload);
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return null;
      const reservation = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Reservation;
      return reservation;
    },
  };
}

export type ReservationTokens = ReturnType<typeof createReservationTokens>;
