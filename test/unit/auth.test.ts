import { createCallerIdentifier } from '../../src/auth/identify-caller';
import { createPublisherTokenMatcher } from '../../src/auth/publisher-token';
import { createUserTokenVerifier } from '../../src/auth/user-token';
import { userToken } from '../utils/tokens';

const SECRET = 'unit-test-secret';

describe('publisher tokens', () => {
  const isPublisher = createPublisherTokenMatcher(['current', 'previous-during-rotation']);
  it('accepts each configured token and nothing else', () => {
    expect(isPublisher('current')).toBe(true);
    expect(isPublisher('previous-during-rotation')).toBe(true);
    expect(isPublisher('curren')).toBe(false);
    expect(isPublisher('current ')).toBe(false);
    expect(isPublisher('')).toBe(false);
  });
});

describe('identifying a caller', () => {
  const identify = createCallerIdentifier(
    createUserTokenVerifier({ secret: SECRET, issuer: 'mechamap', audience: 'realtime' }),
    createPublisherTokenMatcher(['publisher-secret']),
  );
  const token = (options: Parameters<typeof userToken>[1] = {}) => userToken(12, { secret: SECRET, issuer: 'mechamap', audience: 'realtime', ...options });

  it('tells anonymous, publisher and user apart', async () => {
    expect(await identify(undefined)).toEqual({ kind: 'anonymous' });
    expect(await identify('')).toEqual({ kind: 'anonymous' });
    expect(await identify('Bearer publisher-secret')).toEqual({ kind: 'publisher' });
    expect(await identify(`bearer ${await token({ roles: ['moderator'] })}`)).toMatchObject({
      kind: 'user',
      user: { id: '12', roles: ['moderator'], expiresAtMs: expect.any(Number) },
    });
  });

  it.each([
    ['no Bearer scheme', async () => 'publisher-secret', 'must be "Bearer <token>"', 'malformed'],
    ['not a JWT', async () => 'Bearer not.a.jwt', 'not a valid JWT', 'malformed'],
    ['a wrong issuer', () => token({ issuer: 'someone-else' }), 'iss claim', 'issuer_audience'],
    ['a wrong audience', () => token({ audience: 'other-app' }), 'aud claim', 'issuer_audience'],
    ['an expired token', () => token({ expiresInSeconds: -1 }), 'expired', 'expired'],
    ['a wrong secret', () => token({ secret: 'other' }), 'signature', 'bad_signature'],
    ['an HS512 token', () => token({ algorithm: 'HS512' }), 'HS256', 'bad_signature'],
  ])('marks %s invalid, with the reason and the failure metrics count it by', async (_case, makeValue, reason, failure) => {
    const value = await makeValue();
    const caller = await identify(value.startsWith('eyJ') ? `Bearer ${value}` : value);
    expect(caller).toEqual({ kind: 'invalid', reason: expect.stringContaining(reason), failure });
  });
});
