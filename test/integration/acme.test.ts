import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'graphql-ws';
import { DEVELOPMENT_PUBLISHER_TOKEN } from '../../src/config/config';
import { freePort } from '../utils/free-port';
import { startPebble, PEBBLE, type RunningPebble } from '../utils/pebble';
import { describeWithProgram } from '../utils/programs';
import { isolatedPrefix, REDIS_URL } from '../utils/redis';
import { runService } from '../utils/service-process';
import { connectSecureClient, httpsRequest, servedCertificate, untilLiveSubscriptions } from '../utils/tls-client';
import { userToken } from '../utils/tokens';

const DOMAIN = 'realtime.mechamap.test';

interface AcmeService {
  readonly port: number;
  stdout(): string;
  /** Resolves once stdout holds `text` `count` times. */
  waitFor(text: string, count?: number): Promise<void>;
  stop(): Promise<void>;
}

/** The service as an operator runs it: its own process, ACME_* pointed at pebble, pebble's API CA trusted through NODE_EXTRA_CA_CERTS. */
async function startAcmeService(pebble: RunningPebble, env: Record<string, string>, until = '"msg":"listening"'): Promise<AcmeService> {
  const port = await freePort();
  const { child, output, exited } = runService({
    PORT: String(port),
    LOG_LEVEL: 'info',
    ACME_DOMAINS: DOMAIN,
    ACME_EMAIL: 'ops@mechamap.test',
    ACME_DIRECTORY_URL: pebble.directoryUrl,
    ACME_HTTP_PORT: String(pebble.httpPort),
    NODE_EXTRA_CA_CERTS: pebble.apiCaFile,
    ...env,
  });
  const occurrences = (text: string) => output().stdout.split(text).length - 1;
  const waitFor = (text: string, count = 1) =>
    new Promise<void>((resolve, reject) => {
      const onData = () => {
        if (occurrences(text) < count) return;
        child.stdout!.off('data', onData);
        resolve();
      };
      child.stdout!.on('data', onData);
      void exited.then((code) => reject(new Error(`the service exited with ${code}: ${output().stderr}${output().stdout}`)));
      onData();
    });
  await waitFor(until);
  return {
    port,
    stdout: () => output().stdout,
    waitFor,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Resolves with the first notification `client` receives for `userId`. */
function firstNotification(client: Client, userId: string): Promise<{ title: string }> {
  return new Promise((resolve, reject) => {
    const dispose = client.subscribe<{ notification: { title: string } }>(
      { query: 'subscription ($userId: ID!) { notification(userId: $userId) { title } }', variables: { userId } },
      {
        next: (result) => {
          dispose();
          resolve(result.data!.notification);
        },
        error: reject,
        complete: () => reject(new Error('completed before a notification')),
      },
    );
  });
}

/** Resolves once the graphql-ws handshake (connection_ack) is done. */
const connected = (client: Client) => new Promise<void>((resolve, reject) => (client.on('connected', () => resolve()), client.on('closed', reject)));

async function publishNotification(service: AcmeService, root: string, userId: string, title: string): Promise<void> {
  const { status, body } = await httpsRequest(service.port, DOMAIN, root, '/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${DEVELOPMENT_PUBLISHER_TOKEN}` },
    body: JSON.stringify({
      query: 'mutation ($input: PublishNotificationInput!) { publishNotification(input: $input) { id } }',
      variables: { input: { userId, type: 'test', title } },
    }),
  });
  expect({ status, body }).toMatchObject({ status: 200, body: expect.stringContaining('"publishNotification"') });
}

/** The value of a metric without labels on the service's /metrics. */
async function metric(service: AcmeService, root: string, name: string): Promise<number> {
  const { body } = await httpsRequest(service.port, DOMAIN, root, '/metrics');
  const line = body.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

describeWithProgram(PEBBLE, 'pebble', 'TLS by itself: ACME against pebble', () => {
  const clients: Client[] = [];
  const services: AcmeService[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map(async (client) => client.dispose()));
    await Promise.all(services.splice(0).map((service) => service.stop()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const track = <T extends AcmeService | Client>(list: T[], item: T) => (list.push(item), item);
  const acmeDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'mechamap-acme-'));
    dirs.push(dir);
    return dir;
  };

  describe('certificates that live for years', () => {
    let pebble: RunningPebble;
    beforeAll(async () => {
      pebble = await startPebble();
    });
    afterAll(() => pebble.stop());

    it('obtains a certificate before serving, answers on wss:// to a graphql-ws client trusting the CA, and redirects plain HTTP to https', async () => {
      const service = track(services, await startAcmeService(pebble, { ACME_DIR: acmeDir() }));
      const root = await pebble.issuingRoot();

      const client = track(clients, connectSecureClient(service.port, DOMAIN, root, `Bearer ${await userToken('7')}`));
      const notification = firstNotification(client, '7');
      await connected(client);
      await untilLiveSubscriptions(service.port, DOMAIN, root, 'notification', 1);
      await publishNotification(service, root, '7', 'over wss');
      await expect(notification).resolves.toEqual({ title: 'over wss' });

      expect(await metric(service, root, 'realtime_tls_certificate_expiry_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 + 86_400);

      // fetch cannot set Host: a plain request, as a browser typing http://realtime.… sends it.
      const [redirect] = (await once(get({ host: '127.0.0.1', port: pebble.httpPort, path: '/graphql?x=1', headers: { host: DOMAIN } }), 'response')) as [
        IncomingMessage,
      ];
      redirect.resume();
      expect(redirect.statusCode).toBe(301);
      expect(redirect.headers.location).toBe(`https://${DOMAIN}:${service.port}/graphql?x=1`);
    });

    it('two processes on one Redis serve the same certificate after one order', async () => {
      const shared = { REDIS_URL, REDIS_KEY_PREFIX: isolatedPrefix() };
      // Only one process can hold the port the CA validates on; the other answers elsewhere.
      // Both start ordering at the same time, once the CA can reach the first one.
      const first = track(services, await startAcmeService(pebble, shared, '"msg":"answering ACME HTTP-01 challenges; waiting for a certificate"'));
      const second = track(services, await startAcmeService(pebble, { ...shared, ACME_HTTP_PORT: String(await freePort()) }));
      await first.waitFor('"msg":"listening"');

      const orders = (first.stdout() + second.stdout()).split('"msg":"ordering a certificate"').length - 1;
      expect({ orders, logs: first.stdout() + second.stdout() }).toMatchObject({ orders: 1 });
      const [a, b] = await Promise.all([servedCertificate(first.port, DOMAIN), servedCertificate(second.port, DOMAIN)]);
      expect(a.fingerprint256).toBe(b.fingerprint256);
      expect(a.subjectaltname).toBe(`DNS:${DOMAIN}`);
    });
  });

  describe('certificates that live for seconds', () => {
    // Renewed a third of their life (2 s) before expiry: 4 s after they are issued.
    let pebble: RunningPebble;
    beforeAll(async () => {
      pebble = await startPebble({ validitySeconds: 6 });
    });
    afterAll(() => pebble.stop());

    it('renews ahead of expiry and serves the new certificate without a restart; open sockets keep working', async () => {
      const service = track(services, await startAcmeService(pebble, { REDIS_URL, REDIS_KEY_PREFIX: isolatedPrefix() }));
      const root = await pebble.issuingRoot();
      const before = await servedCertificate(service.port, DOMAIN);

      const client = track(clients, connectSecureClient(service.port, DOMAIN, root, `Bearer ${await userToken('8')}`));
      await connected(client);

      await service.waitFor('"msg":"serving the certificate"', 2);
      const after = await servedCertificate(service.port, DOMAIN);
      expect(after.fingerprint256).not.toBe(before.fingerprint256);
      expect(Date.parse(after.valid_to)).toBeGreaterThan(Date.parse(before.valid_to));

      // The socket opened under the first certificate still delivers.
      const notification = firstNotification(client, '8');
      await untilLiveSubscriptions(service.port, DOMAIN, root, 'notification', 1);
      await publishNotification(service, root, '8', 'after the renewal');
      await expect(notification).resolves.toEqual({ title: 'after the renewal' });
      // And a new one is served the new certificate.
      const fresh = track(clients, connectSecureClient(service.port, DOMAIN, root));
      await connected(fresh);
    });

    it('a refused renewal is logged, counted, retried later, and leaves the old certificate in service, even past its expiry', async () => {
      const service = track(services, await startAcmeService(pebble, { ACME_DIR: acmeDir() }));
      const root = await pebble.issuingRoot();

      // The CA now resolves the domain where nothing answers: the renewal's validation fails.
      // (On a loaded machine a renewal may have succeeded before this: the certificate kept is
      // the one in service when the renewal was refused.)
      await pebble.resolveTo(DOMAIN, '127.0.0.2');
      await service.waitFor('"msg":"could not obtain a certificate; keeping the one in service"');
      expect(service.stdout()).toMatch(/"failures":1,"retryInMs":300000,"servingUntil":"[^"]+"/);
      const served = await servedCertificate(service.port, DOMAIN);
      expect(service.stdout()).toContain(`"servingUntil":"${new Date(served.valid_to).toISOString()}"`);

      expect(await metric(service, root, 'realtime_acme_failures_total')).toBe(1);
      expect(await metric(service, root, 'realtime_tls_certificate_expiry_timestamp_seconds')).toBe(Date.parse(served.valid_to) / 1000);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(served.valid_to) + 1000 - Date.now())));
      expect((await servedCertificate(service.port, DOMAIN)).fingerprint256).toBe(served.fingerprint256);
    });
  });
});
