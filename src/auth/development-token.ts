import { SignJWT } from 'jose';

/** A user token signed with the configured secret, for trying the service locally. */
export function signDevelopmentUserToken(secret: string, userId: string, roles: readonly string[] = [], ttlSeconds = 86_400): Promise<string> {
  return new SignJWT({ roles: [...roles] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(new TextEncoder().encode(secret));
}
