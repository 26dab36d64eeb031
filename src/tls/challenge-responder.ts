import http from 'node:http';
import type { Logger } from '../observability/logger';
import type { CertificateStore } from './certificate-store';

const CHALLENGE_PATH = '/.well-known/acme-challenge/';

/**
 * The plain-HTTP listener (ACME_HTTP_PORT): answers HTTP-01 challenges from the store, so any
 * process can answer one that another process started, and sends everything else to https.
 */
export function createChallengeResponder(store: CertificateStore, httpsPort: number, logger: Logger): http.Server {
  const log = logger.child({ component: 'acme' });
  return http.createServer((request, response) => {
    const path = request.url ?? '/';
    if (path.startsWith(CHALLENGE_PATH)) {
      const token = path.slice(CHALLENGE_PATH.length);
      store.readChallenge(token).then(
        (answer) => {
          if (answer === undefined) response.writeHead(404, { 'content-type': 'text/plain' }).end('no such challenge\n');
          else response.writeHead(200, { 'content-type': 'text/plain' }).end(answer);
        },
        (error: Error) => {
          log.error({ err: error.message }, 'could not read an ACME challenge answer');
          response.writeHead(503, { 'content-type': 'text/plain' }).end('challenge store unavailable\n');
        },
      );
      return;
    }
    const host = (request.headers.host ?? '').replace(/:\d+$/, '');
    if (host === '' || !/^[A-Za-z0-9.[\]:-]+$/.test(host)) {
      response.writeHead(400, { 'content-type': 'text/plain' }).end('missing or invalid Host header\n');
      return;
    }
    const port = httpsPort === 443 ? '' : `:${httpsPort}`;
    response.writeHead(301, { location: `https://${host}${port}${path}` }).end();
  });
}
