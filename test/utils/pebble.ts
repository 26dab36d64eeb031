import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { findProgram } from './programs';

export const PEBBLE = findProgram('pebble');
export const CHALLTESTSRV = findProgram('pebble-challtestsrv');

export interface RunningPebble {
  /** ACME_DIRECTORY_URL. */
  readonly directoryUrl: string;
  /** The port pebble validates HTTP-01 on: the service's ACME_HTTP_PORT. */
  readonly httpPort: number;
  /** The CA file that makes pebble's own HTTPS trusted (NODE_EXTRA_CA_CERTS). */
  readonly apiCaFile: string;
  /** The root pebble issues certificates under (PEM): what a client trusts. */
  issuingRoot(): Promise<string>;
  /** Points `host` at `address` in the CA's DNS (pebble-challtestsrv); nothing listens there, so validation fails. */
  resolveTo(host: string, address: string): Promise<void>;
  stop(): Promise<void>;
}

/** The test CA's HTTPS certificate, for 127.0.0.1, signed by a CA of our own: pebble ships none. */
function makeApiCertificate(dir: string): { caFile: string; certFile: string; keyFile: string } {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const caFile = join(dir, 'api-ca.pem');
  const caKey = join(dir, 'api-ca.key');
  const certFile = join(dir, 'api.pem');
  const keyFile = join(dir, 'api.key');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-days', '2', '-subj', '/CN=pebble api test CA', '-keyout', caKey, '-out', caFile);
  openssl('req', ...ec, '-subj', '/CN=127.0.0.1', '-keyout', keyFile, '-out', join(dir, 'api.csr'));
  writeFileSync(join(dir, 'api.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    join(dir, 'api.csr'),
    '-CA',
    caFile,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    join(dir, 'api.ext'),
    '-out',
    certFile,
  );
  return { caFile, certFile, keyFile };
}

function waitForOutput(child: ChildProcess, text: string, name: string): Promise<void> {
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: string) => {
      output += chunk;
      if (output.includes(text)) resolve();
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.stderr!.setEncoding('utf8').on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}:\n${output}`)));
  });
}

const running = new Set<RunningPebble>();
afterAll(async () => {
  await Promise.all([...running].map((pebble) => pebble.stop()));
});

/**
 * Let's Encrypt's test CA as Debian packages it: pebble, whose DNS is pebble-challtestsrv
 * (every name resolves to 127.0.0.1 unless told otherwise), validating HTTP-01 on a free port.
 * No sleeps before validation, no random nonce rejections, no reused authorizations: every
 * order is validated. `validitySeconds` sets the life of the certificates it issues.
 */
export async function startPebble({ validitySeconds }: { validitySeconds?: number } = {}): Promise<RunningPebble> {
  if (!PEBBLE || !CHALLTESTSRV) throw new Error('pebble is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'mechamap-pebble-'));
  const api = makeApiCertificate(dir);
  const [dnsPort, managementPort, listenPort, pebbleManagementPort, httpPort, tlsPort] = (await Promise.all(Array.from({ length: 6 }, freePort))) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];

  const dns = spawn(
    CHALLTESTSRV,
    ['-dns01', `127.0.0.1:${dnsPort}`, '-management', `127.0.0.1:${managementPort}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-defaultIPv6', ''],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await waitForOutput(dns, 'Starting management server', 'pebble-challtestsrv');

  writeFileSync(
    join(dir, 'pebble.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${listenPort}`,
        managementListenAddress: `127.0.0.1:${pebbleManagementPort}`,
        certificate: api.certFile,
        privateKey: api.keyFile,
        httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        ...(validitySeconds ? { certificateValidityPeriod: validitySeconds } : {}),
      },
    }),
  );
  const pebble = spawn(PEBBLE, ['-config', join(dir, 'pebble.json'), '-dnsserver', `127.0.0.1:${dnsPort}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
  });
  await waitForOutput(pebble, 'Listening on', 'pebble');

  const fetchText = (url: string, init: { method?: string; body?: string } = {}) =>
    new Promise<string>((resolve, reject) => {
      const request = get(url, { ca: readFileSync(api.caFile), method: init.method ?? 'GET' }, (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () => (response.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${response.statusCode} ${body}`))));
      });
      request.on('error', reject);
      request.end(init.body);
    });

  const stopped = Promise.all([once(dns, 'exit'), once(pebble, 'exit')]);
  const instance: RunningPebble = {
    directoryUrl: `https://127.0.0.1:${listenPort}/dir`,
    httpPort,
    apiCaFile: api.caFile,
    issuingRoot: () => fetchText(`https://127.0.0.1:${pebbleManagementPort}/roots/0`),
    async resolveTo(host, address) {
      const response = await fetch(`http://127.0.0.1:${managementPort}/add-a`, {
        method: 'POST',
        body: JSON.stringify({ host: `${host}.`, addresses: [address] }),
      });
      if (!response.ok) throw new Error(`pebble-challtestsrv refused /add-a: ${response.status}`);
    },
    async stop() {
      running.delete(instance);
      for (const child of [dns, pebble]) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await stopped;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  running.add(instance);
  return instance;
}
