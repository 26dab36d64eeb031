/**
 * When a JWT expires (its `exp` claim, in ms since the epoch), read without checking the
 * signature — the server checks it. Undefined for a token that is not a JWT or has no `exp`.
 */
export function expiryOf(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: unknown };
    return typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
