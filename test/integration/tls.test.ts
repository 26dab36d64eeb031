import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { openRawSocket } from '../utils/raw-socket';
import { startTestApp } from '../utils/test-app';
import { pollUntil } from '../utils/poll';

/** A self-signed certificate for 127.0.0.1, made by openssl as an operator would. */
function makeCertificate(dir: string, name: string) {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile, pem: readFileSync(certFile) };
}

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

describe('native TLS', () => {
  it('serves wss:// and picks up a renewed certificate without a restart, keeping open sockets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tls-'));
    const first = makeCertificate(dir, 'first');
    const renewed = makeCertificate(dir, 'renewed');
    const live = { certFile: join(dir, 'live.crt'), keyFile: join(dir, 'live.key') };
    copyFileSync(first.certFile, live.certFile);
    copyFileSync(first.keyFile, live.keyFile);

    const server = await startTestApp({ TLS_CERT_FILE: live.certFile, TLS_KEY_FILE: live.keyFile });
    expect(server.url).toMatch(/^https:\/\//);
    const port = Number(new URL(server.url).port);
    const before = await openRawSocket(server.wsUrl, { ca: first.pem });
    before.send({ type: 'connection_init' });
    await before.nextMessage('connection_ack');
    expect(await servedCommonName(port)).toBe('first');

    copyFileSync(renewed.keyFile, live.keyFile);
    copyFileSync(renewed.certFile, live.certFile);
    // The files are polled once a second; ask until the new certificate is served.
    await pollUntil(() => servedCommonName(port), {
      until: (name) => name === 'renewed',
      what: 'the renewed certificate served',
      timeoutMs: 5000,
      everyMs: 100,
    });

    const after = await openRawSocket(server.wsUrl, { ca: renewed.pem });
    after.send({ type: 'connection_init' });
    await after.nextMessage('connection_ack');
    before.send({ id: '1', type: 'subscribe', payload: { query: '{ viewer { id } }' } });
    expect(await before.nextMessage('next')).toMatchObject({ id: '1', payload: { data: { viewer: null } } });
  });
});
