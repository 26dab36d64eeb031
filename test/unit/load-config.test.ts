import { DEVELOPMENT_JWT_SECRET, DEVELOPMENT_PUBLISHER_TOKEN } from '../../src/config/config';
import { ConfigError, loadConfig } from '../../src/config/load-config';

describe('loadConfig', () => {
  it('runs with no configuration at all: development secrets, in-memory bus, GraphiQL on', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4000,
      host: '0.0.0.0',
      bus: { kind: 'memory' },
      graphiql: true,
      maxPayloadBytes: 65536,
      replay: { maxPerUser: 100, maxAgeSeconds: 86400 },
      usesDevelopmentSecrets: true,
      publisherTokens: [DEVELOPMENT_PUBLISHER_TOKEN],
    });
    expect(config.jwt.secret).toBe(DEVELOPMENT_JWT_SECRET);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every documented variable', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      PORT: '8080',
      HOST: '127.0.0.1',
      REDIS_URL: 'rediss://cache:6380',
      JWT_SECRET: 's3cret',
      JWT_ISSUER: 'https://mechamap.test',
      JWT_AUDIENCE: 'realtime',
      PUBLISHER_TOKENS: ' new-token , old-token ,',
      MAX_PAYLOAD_BYTES: '1024',
      REPLAY_MAX_PER_USER: '10',
      REPLAY_MAX_AGE_SECONDS: '60',
    });
    expect(config).toMatchObject({
      production: true,
      port: 8080,
      host: '127.0.0.1',
      bus: { kind: 'redis', topology: { kind: 'single', url: 'rediss://cache:6380' }, keyPrefix: 'mechamap-realtime:', minReplicasAck: 0 },
      workers: 1,
      jwt: { secret: 's3cret', issuer: 'https://mechamap.test', audience: 'realtime' },
      publisherTokens: ['new-token', 'old-token'],
      graphiql: false,
      maxPayloadBytes: 1024,
      replay: { maxPerUser: 10, maxAgeSeconds: 60 },
      usesDevelopmentSecrets: false,
    });
  });

  it('keeps the admin view off unless ADMIN=on, then opens it with ADMIN_TOKENS, else the publisher tokens', () => {
    expect(loadConfig({}).admin).toBeNull();
    expect(loadConfig({ ADMIN: 'on', PUBLISHER_TOKENS: 'publisher-token' }).admin).toEqual({ tokens: ['publisher-token'] });
    expect(loadConfig({ ADMIN: 'on', ADMIN_TOKENS: 'first-admin-secret, second-admin-secret' }).admin).toEqual({
      tokens: ['first-admin-secret', 'second-admin-secret'],
    });
  });

  it.each([
    [{ PORT: '-1' }, 'PORT'],
    [{ PORT: '4000.5' }, 'PORT'],
    [{ MAX_PAYLOAD_BYTES: 'lots' }, 'MAX_PAYLOAD_BYTES'],
    [{ GRAPHIQL: 'maybe' }, 'GRAPHIQL'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ TLS_CERT_FILE: __filename }, 'TLS_KEY_FILE'],
    [{ PUBLISHER_TOKENS: ' , ' }, 'PUBLISHER_TOKENS'],
    [{ ADMIN: 'sometimes' }, 'ADMIN'],
    [{ ADMIN: 'on', ADMIN_TOKENS: 'short' }, 'ADMIN_TOKENS'],
    [{ NODE_ENV: 'production', PUBLISHER_TOKENS: `x,${DEVELOPMENT_PUBLISHER_TOKEN}`, JWT_SECRET: 'y' }, 'PUBLISHER_TOKENS'],
    [{ REDIS_URL: 'redis://a:6379', REDIS_SENTINELS: 'b:26379', REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINELS'],
    [{ REDIS_SENTINELS: 'b:26379', REDIS_CLUSTER_NODES: 'c:7000' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_SENTINELS: 'b:26379' }, 'REDIS_SENTINEL_NAME'],
    [{ REDIS_SENTINELS: 'b:26379,c', REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINELS'],
    [{ REDIS_CLUSTER_NODES: 'c:70000' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_MIN_REPLICAS_ACK: '1' }, 'REDIS_MIN_REPLICAS_ACK'],
    [{ WORKERS: '3' }, 'WORKERS'],
    [{ REDIS_URL: 'redis://a:6379', REDIS_KEY_PREFIX: 'app{1}:' }, 'REDIS_KEY_PREFIX'],
    [{ WORKERS: 'many', REDIS_URL: 'redis://a:6379' }, 'WORKERS'],
  ])('names the variable at fault: %j', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^${variable} `));
  });

  it('reads Redis through Sentinel or Cluster, replica acknowledgements and workers', () => {
    expect(
      loadConfig({
        REDIS_SENTINELS: 'a:26379, b:26380',
        REDIS_SENTINEL_NAME: 'main',
        REDIS_SENTINEL_PASSWORD: 'pw',
        REDIS_MIN_REPLICAS_ACK: '1',
        WORKERS: '4',
      }),
    ).toMatchObject({
      bus: {
        kind: 'redis',
        topology: {
          kind: 'sentinel',
          sentinels: [
            { host: 'a', port: 26379 },
            { host: 'b', port: 26380 },
          ],
          name: 'main',
          sentinelPassword: 'pw',
        },
        minReplicasAck: 1,
      },
      workers: 4,
    });
    expect(loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2:7000', WORKERS: 'auto' })).toMatchObject({
      bus: {
        topology: {
          kind: 'cluster',
          nodes: [
            { host: '10.0.0.1', port: 7000 },
            { host: '10.0.0.2', port: 7000 },
          ],
        },
      },
      workers: expect.any(Number),
    });
  });
});
