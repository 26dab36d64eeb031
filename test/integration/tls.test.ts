import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { makeSelfSignedCertificate } from '../utils/certificates';
import { openRawSocket } from '../utils/raw-socket';
import { startTestApp, type TestApp } from '../utils/test-app';
import { pollUntil } from '../utils/poll';

/** The common name of the certificate a new TLS connection is served. */
function servedCommonName(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(String(socket.getPeerCertificate().subject.CN));
      socket.end();
    });
    socket.on('error', reject);
  });
}

const notAfterSeconds = (pem: string) => Math.floor(Date.parse(new X509Certificate(pem).validTo) / 1000);

/** What /metrics reports as the served certificate's expiry (read from the registry it serializes). */
async function certificateExpiryMetric(server: TestApp): Promise<number | undefined> {
  const metric = await server.app.metrics.registry.getSingleMetric('realtime_tls_certificate_expiry_timestamp_seconds')?.get();
  return metric?.values[0]?.value;
}

describe('native TLS', () => {
  it('serves wss:// and picks up a renewed certificate without a restart, keeping open sockets, reporting its expiry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tls-'));
    const first = makeSelfSignedCertificate(dir, 'first');
    const renewed = makeSelfSignedCertificate(dir, 'renewed', undefined, 30);
    const live = { certFile: join(dir, 'live.crt'), keyFile: join(dir, 'live.key') };
    copyFileSync(first.certFile, live.certFile);
    copyFileSync(first.keyFile, live.keyFile);

    const server = await startTestApp({ TLS_CERT_FILE: live.certFile, TLS_KEY_FILE: live.keyFile });
    expect(server.url).toMatch(/^https:\/\//);
    const port = Number(new URL(server.url).port);
    const before = await openRawSocket(server.wsUrl, { ca: first.cert });
    before.send({ type: 'connection_init' });
    await before.nextMessage('connection_ack');
    expect(await servedCommonName(port)).toBe('first');
    expect(await certificateExpiryMetric(server)).toBe(notAfterSeconds(first.cert));

    copyFileSync(renewed.keyFile, live.keyFile);
    copyFileSync(renewed.certFile, live.certFile);
    // The files are polled once a second; ask until the new certificate is served.
    await pollUntil(() => servedCommonName(port), {
      until: (name) => name === 'renewed',
      what: 'the renewed certificate served',
      timeoutMs: 5000,
      everyMs: 100,
    });

    expect(await certificateExpiryMetric(server)).toBe(notAfterSeconds(renewed.cert));

    const after = await openRawSocket(server.wsUrl, { ca: renewed.cert });
    after.send({ type: 'connection_init' });
    await after.nextMessage('connection_ack');
    before.send({ id: '1', type: 'subscribe', payload: { query: '{ viewer { id } }' } });
    expect(await before.nextMessage('next')).toMatchObject({ id: '1', payload: { data: { viewer: null } } });
  });
});
