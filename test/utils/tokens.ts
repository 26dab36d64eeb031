import { SignJWT } from 'jose';
import { DEVELOPMENT_JWT_SECRET } from '../../src/config/config';

export interface TokenOptions {
  readonly roles?: string[];
  readonly secret?: string;
  readonly expiresInSeconds?: number;
  readonly issuer?: string;
  readonly audience?: string;
  readonly algorithm?: 'HS256' | 'HS512';
  readonly sub?: string | number;
}

/** A user JWT as Laravel would issue it, signed with the development secret unless told. */
export function userToken(userId: string | number, options: TokenOptions = {}): Promise<string> {
  const jwt = new SignJWT({ roles: options.roles ?? [], sub: options.sub ?? userId } as Record<string, unknown>)
    .setProtectedHeader({ alg: options.algorithm ?? 'HS256' })
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (options.expiresInSeconds ?? 3600));
  if (options.issuer) jwt.setIssuer(options.issuer);
  if (options.audience) jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret ?? DEVELOPMENT_JWT_SECRET));
}

/** An unsigned token (`alg: none`), which must always be refused. */
export function unsignedToken(userId: string): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub: userId, exp: Math.floor(Date.now() / 1000) + 3600 })}.`;
}
