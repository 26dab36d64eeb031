import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'graphql-ws';
import { makeSelfSignedCertificate, type SelfSignedCertificate } from '../utils/certificates';
import { freePort } from '../utils/free-port';
import { NGINX, startNginx, type RunningNginx } from '../utils/nginx';
import { PUBLISH_NOTIFICATION } from '../utils/operations';
import { pollUntil } from '../utils/poll';
import { describeWithProgram } from '../utils/programs';
import { startServicePair, type ServiceProcess } from '../utils/service-process';
import { PUBLISHER_TOKEN } from '../utils/test-app';
import { connectSecureClient, httpsRequest, servedCertificate, untilLiveSubscriptions } from '../utils/tls-client';
import { userToken } from '../utils/tokens';

const DOMAIN = 'realtime.mechamap.example';

/** A plain GET to 127.0.0.1:`port` as `host`, as a browser typing http://… sends it. */
async function plainGet(port: number, host: string, path: string): Promise<{ status: number; location?: string; body: string }> {
  const [response] = (await once(get({ host: '127.0.0.1', port, path, headers: { host } }), 'response')) as [IncomingMessage];
  let body = '';
  for await (const chunk of response.setEncoding('utf8')) body += chunk;
  return { status: response.statusCode ?? 0, location: response.headers.location, body };
}

describeWithProgram(NGINX, 'nginx', 'deploy/nginx/mechamap-realtime.conf terminating TLS in front of two TLS processes', () => {
  let dir: string;
  let certificate: SelfSignedCertificate;
  let processes: ServiceProcess[];
  let acmeResponder: Server;
  let nginx: RunningNginx;
  const clients: Client[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mechamap-nginx-tls-'));
    // One openssl certificate where the service keeps the one it obtains (ACME_DIR): nginx and the processes serve it.
    certificate = makeSelfSignedCertificate(dir, DOMAIN, `DNS:${DOMAIN},IP:127.0.0.1`);
    const acmeDir = join(dir, 'acme');
    mkdirSync(acmeDir);
    copyFileSync(certificate.certFile, join(acmeDir, 'fullchain.pem'));
    copyFileSync(certificate.keyFile, join(acmeDir, 'privkey.pem'));

    // Stands in for the processes' ACME_HTTP_PORT responders (test/integration/acme.test.ts tests the real one).
    acmeResponder = createServer((request, response) => response.end(`answer for ${request.url}`));
    await new Promise<void>((resolve) => acmeResponder.listen(0, '127.0.0.1', resolve));

    processes = await startServicePair({ TLS_CERT_FILE: certificate.certFile, TLS_KEY_FILE: certificate.keyFile });
    nginx = await startNginx({
      realtime: processes.map(({ origin }) => new URL(origin).host),
      reverb: `127.0.0.1:${await freePort()}`,
      acme: [`127.0.0.1:${(acmeResponder.address() as { port: number }).port}`],
      upstreamTls: true,
      certificateDir: acmeDir,
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map(async (client) => client.dispose()));
    await nginx?.stop();
    acmeResponder?.close();
    for (const { child } of processes ?? []) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes nginx -t with TLS on, the certificate read from ACME_DIR', () => {
    expect(nginx.testOutput).toContain('test is successful');
  });

  it('serves wss:// with the certificate in ACME_DIR, and a notification published over https reaches the subscriber', async () => {
    expect((await servedCertificate(nginx.ports.tls, DOMAIN)).fingerprint256).toBe(
      (await servedCertificate(Number(new URL(processes[0]!.origin).port), DOMAIN)).fingerprint256,
    );

    const client = connectSecureClient(nginx.ports.tls, DOMAIN, certificate.cert, `Bearer ${await userToken('12')}`);
    clients.push(client);
    const received = new Promise<unknown>((resolve, reject) => {
      client.subscribe(
        { query: 'subscription { notification(userId: "12") { title } }' },
        { next: (result) => resolve(result.data), error: reject, complete: () => {} },
      );
    });
    const ports = processes.map(({ origin }) => Number(new URL(origin).port));
    await Promise.race(ports.map((port) => untilLiveSubscriptions(port, DOMAIN, certificate.cert, 'notification', 1)));

    const published = await httpsRequest(nginx.ports.tls, DOMAIN, certificate.cert, '/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${PUBLISHER_TOKEN}` },
      body: JSON.stringify({ query: PUBLISH_NOTIFICATION, variables: { input: { userId: '12', type: 't', title: 'through nginx' } } }),
    });
    expect(published.status).toBe(200);
    await expect(received).resolves.toEqual({ notification: { title: 'through nginx' } });

    // The access log names the stack and the process each request went to. nginx writes a
    // request's line after its response has gone out, and a WebSocket's when it closes, so the
    // log is read again until each line is there.
    const logLine = (line: RegExp, what: string) => pollUntil(() => nginx.accessLog(), { until: (log) => line.test(log), what });
    await logLine(/"POST \/graphql HTTP\/1\.1" 200 \d+ stack=(graphql|reverb) upstream=127\.0\.0\.1:\d+/, 'the publish in the access log');
    await client.dispose();
    await logLine(/"GET \/graphql HTTP\/1\.1" 101 \d+ stack=(graphql|reverb) upstream=127\.0\.0\.1:\d+/, 'the WebSocket in the access log');
  });

  it('on port 80, passes HTTP-01 challenges to the processes and redirects everything else to https', async () => {
    expect(await plainGet(nginx.ports.http, DOMAIN, '/.well-known/acme-challenge/token-1')).toMatchObject({
      status: 200,
      body: 'answer for /.well-known/acme-challenge/token-1',
    });
    expect(await plainGet(nginx.ports.http, DOMAIN, '/graphql?query=1')).toMatchObject({ status: 301, location: `https://${DOMAIN}/graphql?query=1` });
  });
});
