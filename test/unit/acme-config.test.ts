import { LETS_ENCRYPT_DIRECTORY_URL } from '../../src/config/config';
import { loadConfig } from '../../src/config/load-config';

describe('ACME configuration', () => {
  it('is off without ACME_DOMAINS, even with the port and directory preset (as the systemd unit presets them)', () => {
    expect(loadConfig({}).acme).toBeUndefined();
    expect(loadConfig({ ACME_HTTP_PORT: '13000', ACME_DIR: '/var/lib/mechamap-realtime/acme' }).acme).toBeUndefined();
  });

  it("defaults to Let's Encrypt production and port 80, with the certificate kept on Redis", () => {
    const config = loadConfig({ ACME_DOMAINS: 'Realtime.MechaMap.com, ws.mechamap.com', REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(config.acme).toEqual({
      domains: ['realtime.mechamap.com', 'ws.mechamap.com'],
      email: undefined,
      directoryUrl: LETS_ENCRYPT_DIRECTORY_URL,
      httpPort: 80,
      dir: undefined,
    });
  });

  it('reads every ACME variable', () => {
    const config = loadConfig({
      ACME_DOMAINS: 'realtime.mechamap.com',
      ACME_EMAIL: 'ops@mechamap.com',
      ACME_DIRECTORY_URL: 'https://acme-staging-v02.api.letsencrypt.org/directory',
      ACME_HTTP_PORT: '8080',
      ACME_DIR: '/var/lib/mechamap-realtime/acme',
    });
    expect(config.acme).toEqual({
      domains: ['realtime.mechamap.com'],
      email: 'ops@mechamap.com',
      directoryUrl: 'https://acme-staging-v02.api.letsencrypt.org/directory',
      httpPort: 8080,
      dir: '/var/lib/mechamap-realtime/acme',
    });
  });

  it.each([
    [{ ACME_DOMAINS: 'realtime.mechamap.com' }, 'ACME_DIR must be set with ACME_DOMAINS when REDIS_URL is not'],
    [{ ACME_DOMAINS: '*.mechamap.com', ACME_DIR: '/tmp' }, 'ACME_DOMAINS must list host names (no wildcard'],
    [{ ACME_DOMAINS: 'localhost', ACME_DIR: '/tmp' }, 'ACME_DOMAINS must list host names'],
    [{ ACME_DOMAINS: 'realtime.mechamap.com', ACME_DIR: '/tmp', ACME_EMAIL: 'ops' }, 'ACME_EMAIL must be an email address'],
    [{ ACME_DOMAINS: 'realtime.mechamap.com', ACME_DIR: '/tmp', ACME_DIRECTORY_URL: 'http://ca.test/dir' }, 'ACME_DIRECTORY_URL must be an https:// URL'],
    [{ ACME_DOMAINS: 'realtime.mechamap.com', ACME_DIR: '/tmp', ACME_HTTP_PORT: '80000' }, 'ACME_HTTP_PORT must be an integer from 0 to 65535'],
    [{ ACME_EMAIL: 'ops@mechamap.com' }, 'ACME_EMAIL is set but ACME_DOMAINS is not'],
    [
      { ACME_DOMAINS: 'realtime.mechamap.com', ACME_DIR: '/tmp', TLS_CERT_FILE: __filename, TLS_KEY_FILE: __filename },
      'ACME_DOMAINS cannot be set together with TLS_CERT_FILE',
    ],
  ])('refuses %j with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
