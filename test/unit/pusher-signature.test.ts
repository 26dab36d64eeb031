import { md5Hex, signPusherRequest, verifyPusherRequest } from '../../src/laravel/pusher-signature';

const credentials = { appId: '1001', key: 'app-key', secret: 'app-secret' };
const path = '/apps/1001/events';
const body = '{"name":"ThreadCreated","channels":["forum.1"],"data":"{}"}';
const now = 1_800_000_000;

const request = (query: URLSearchParams, overrides: Partial<{ body: string; path: string; method: string }> = {}) => ({
  method: 'POST',
  path,
  query,
  body,
  ...overrides,
});

describe('Pusher request signatures', () => {
  it("matches Pusher's documented example (HMAC-SHA256 over the sorted query)", () => {
    // https://pusher.com/docs/channels/library_auth_reference/rest-api/#worked-authentication-example
    const example = { appId: '3', key: '278d425bdf160c739803', secret: '7ad3773142a6692b25b8' };
    const exampleBody = '{"name":"foo","channels":["project-3"],"data":"{\\"some\\":\\"data\\"}"}';
    expect(md5Hex(exampleBody)).toBe('ec365a775a4cd0599faeb73354201b6f');
    const query = signPusherRequest(example, 'POST', '/apps/3/events', exampleBody, 1353088179);
    expect(query.get('auth_signature')).toBe('da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c');
    expect(verifyPusherRequest(example, { method: 'POST', path: '/apps/3/events', query, body: exampleBody }, 1353088179)).toBeUndefined();
  });

  it('accepts a request it signed, within 600 s either way', () => {
    const query = signPusherRequest(credentials, 'POST', path, body, now);
    expect(verifyPusherRequest(credentials, request(query), now)).toBeUndefined();
    expect(verifyPusherRequest(credentials, request(query), now + 600)).toBeUndefined();
    expect(verifyPusherRequest(credentials, request(query), now - 600)).toBeUndefined();
  });

  it('refuses an old timestamp, another key, another secret, a changed body, path or parameter', () => {
    const query = signPusherRequest(credentials, 'POST', path, body, now);
    expect(verifyPusherRequest(credentials, request(query), now + 601)).toMatch(/600 seconds/);
    expect(verifyPusherRequest({ ...credentials, key: 'other' }, request(query), now)).toBe('Unknown auth_key.');
    expect(verifyPusherRequest({ ...credentials, secret: 'other' }, request(query), now)).toBe('Invalid auth_signature.');
    expect(verifyPusherRequest(credentials, request(query, { body: body.replace('forum.1', 'forum.2') }), now)).toBe('body_md5 does not match the body.');
    expect(verifyPusherRequest(credentials, request(query, { path: '/apps/1001/batch_events' }), now)).toBe('Invalid auth_signature.');
    const extended = new URLSearchParams(query);
    extended.set('info', 'subscription_count');
    expect(verifyPusherRequest(credentials, request(extended), now)).toBe('Invalid auth_signature.');
  });

  it('refuses an unsigned request and a body whose md5 was left out', () => {
    expect(verifyPusherRequest(credentials, request(new URLSearchParams()), now)).toMatch(/not signed/);
    const query = signPusherRequest(credentials, 'POST', path, body, now);
    query.delete('body_md5');
    expect(verifyPusherRequest(credentials, request(query), now)).toBe('body_md5 does not match the body.');
  });
});
