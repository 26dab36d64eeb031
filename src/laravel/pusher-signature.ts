import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Pusher's HTTP API request signing, as Laravel's `pusher`/`reverb` broadcaster (pusher-php-server)
 * and the `pusher` npm SDK do it. Pure.
 *
 * The query carries `auth_key`, `auth_timestamp` (Unix seconds), `auth_version` (`1.0`),
 * `body_md5` (hex MD5 of the body, when there is one) and `auth_signature`: the hex
 * HMAC-SHA256, keyed with the app secret, of
 *
 *     <METHOD>\n<path>\n<every other query parameter, sorted by name, as name=value joined by &>
 *
 * with the values as signed (not URL-encoded).
 */

export interface PusherCredentials {
  readonly appId: string;
  readonly key: string;
  readonly secret: string;
}

/** Pusher refuses requests signed more than 600 s before or after its own clock. */
export const MAX_CLOCK_SKEW_SECONDS = 600;

export interface SignedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: string;
}

function stringToSign(method: string, path: string, params: ReadonlyArray<readonly [string, string]>): string {
  const sorted = [...params].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return [method.toUpperCase(), path, sorted.map(([name, value]) => `${name}=${value}`).join('&')].join('\n');
}

export function md5Hex(body: string): string {
  return createHash('md5').update(body).digest('hex');
}

/** The query string a Pusher SDK would send for this request (used by tests). */
export function signPusherRequest(credentials: PusherCredentials, method: string, path: string, body: string, nowSeconds: number): URLSearchParams {
  const params: Array<[string, string]> = [
    ['auth_key', credentials.key],
    ['auth_timestamp', String(nowSeconds)],
    ['auth_version', '1.0'],
  ];
  if (body !== '') params.push(['body_md5', md5Hex(body)]);
  const signature = createHmac('sha256', credentials.secret)
    .update(stringToSign(method, path, params))
    .digest('hex');
  return new URLSearchParams([...params, ['auth_signature', signature]]);
}

/** Why a request is refused, in words fit for the 401 answer; undefined when it is authentic. */
export function verifyPusherRequest(credentials: PusherCredentials, request: SignedRequest, nowSeconds: number): string | undefined {
  const { query } = request;
  const key = query.get('auth_key');
  const timestamp = query.get('auth_timestamp');
  const signature = query.get('auth_signature');
  if (key === null || timestamp === null || signature === null || query.get('auth_version') === null) {
    return 'The request is not signed (auth_key, auth_timestamp, auth_version and auth_signature are required).';
  }
  if (key !== credentials.key) return 'Unknown auth_key.';
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > MAX_CLOCK_SKEW_SECONDS) {
    return `auth_timestamp is more than ${MAX_CLOCK_SKEW_SECONDS} seconds away from the server's clock.`;
  }
  const bodyMd5 = query.get('body_md5');
  if (request.body !== '' && bodyMd5 !== md5Hex(request.body)) return 'body_md5 does not match the body.';

  const params = [...query.entries()].filter(([name]) => name !== 'auth_signature');
  if (new Set(params.map(([name]) => name)).size !== params.length) return 'A query parameter is repeated.';
  const expected = createHmac('sha256', credentials.secret)
    .update(stringToSign(request.method, request.path, params))
    .digest();
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'Invalid auth_signature.';
  return undefined;
}
