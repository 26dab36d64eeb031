import { createReservationTokens, holderOf, RESERVATION_OPEN_WINDOW_MS } from '../../src/transport/sse/reservation-token';

describe('reservation tokens of the single connection mode', () => {
  const tokens = createReservationTokens('a secret', () => 1_000_000);

  it('name their holder and the time by which the stream must open, for every process that shares the secret', () => {
    const token = tokens.issue(holderOf({ kind: 'user', user: { id: '7', roles: [], expiresAtMs: 2_000_000 } }));
    const elsewhere = createReservationTokens('a secret');
    expect(elsewhere.read(token)).toEqual({ id: expect.stringMatching(/^[\w-]{32}$/), holder: 'user:7', openBy: 1_000_000 + RESERVATION_OPEN_WINDOW_MS });
  });

  it('are unguessable: two are never alike', () => {
    expect(tokens.read(tokens.issue('anonymous'))!.id).not.toBe(tokens.read(tokens.issue('anonymous'))!.id);
  });

  it('are refused when tampered with, signed with another secret, or not tokens at all', () => {
    const token = tokens.issue('user:7');
    const [payload, signature] = token.split('.') as [string, string];
    const forgedPayload = Buffer.from(JSON.stringify({ ...tokens.read(token), holder: 'user:8' })).toString('base64url');
    expect(tokens.read(`${forgedPayload}.${signature}`)).toBeNull();
    expect(createReservationTokens('another secret').read(token)).toBeNull();
    expect(tokens.read(payload)).toBeNull();
    expect(tokens.read(`${payload}.${signature}.extra`)).toBeNull();
    expect(tokens.read('')).toBeNull();
  });
});
