import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findProgram } from './programs';
import { freePort } from './free-port';

export const NGINX = findProgram('nginx');
export const NGINX_CONF = join(__dirname, '..', '..', 'docker', 'nginx.conf');
export const NGINX_SITE = join(__dirname, '..', '..', 'deploy', 'nginx', 'mechamap-realtime.conf');
const SITE_INCLUDE = /^(\s*)include \/etc\/nginx\/sites-enabled\/mechamap-realtime\.conf;$/m;

export interface NginxTargets {
  /** host:port of each service process, in place of 127.0.0.1:3000 … 127.0.0.1:3003. */
  readonly realtime: readonly string[];
  /** host:port in place of the old Reverb. */
  readonly reverb: string;
  /** host:port of the processes' ACME_HTTP_PORT responders; the service processes when unset. */
  readonly acme?: readonly string[];
  /** Whether the processes serve TLS, as they do with ACME_DOMAINS; unset: plain HTTP (proxy_pass http://). */
  readonly upstreamTls?: boolean;
  /** The directory holding fullchain.pem and privkey.pem, in place of ACME_DIR. */
  readonly certificateDir?: string;
  /** The share of users sent to this service instead of the committed one; 0 comments the line out, as the rollback does. */
  readonly graphqlPercent?: number;
}

export interface NginxPorts {
  /** In place of 443 (TLS). */
  readonly tls: number;
  /** A plain listener added beside the TLS one, so that routing tests need no CA. */
  readonly plain: number;
  /** In place of 80 (ACME HTTP-01, redirect to https). */
  readonly http: number;
}

/**
 * docker/nginx.conf with deploy/nginx/mechamap-realtime.conf in place of its include, and only
 * these values swapped: the upstream servers (and their scheme), the listen addresses, the pid,
 * log, temp and certificate paths (into `prefix`), and optionally the split's share. Every swap
 * must match, so a change to the files that this no longer understands fails here instead of
 * quietly testing something else.
 */
export function renderNginxConfig(main: string, site: string, targets: NginxTargets, ports: NginxPorts, prefix: string): string {
  let config = main;
  const swap = (pattern: RegExp, replacement: (match: string, ...groups: string[]) => string) => {
    if (!pattern.test(config))
      throw new Error(`docker/nginx.conf or deploy/nginx/mechamap-realtime.conf has no match for ${pattern}: update test/utils/nginx.ts`);
    config = config.replace(pattern, replacement);
  };
  swap(SITE_INCLUDE, () => site);
  swap(/^pid \S+;$/m, () => `pid ${prefix}/nginx.pid;`);
  // stderr at notice level, where nginx says when its listening sockets are open.
  swap(/^error_log \S+ \w+;$/m, () => 'error_log stderr notice;');
  swap(/\/var\/log\/nginx\//g, () => `${prefix}/`);
  // Debian's compiled-in temp paths are root's: a test run by anyone keeps them in its prefix.
  swap(/^http \{$/m, (open) =>
    [open, ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `    ${kind}_temp_path ${prefix}/${kind}_temp;`)].join('\n'),
  );
  swap(/\/var\/lib\/mechamap-realtime\/acme/g, () => targets.certificateDir ?? prefix);
  swap(/^(\s*)listen 80;$/m, (_match, indent) => `${indent}listen 127.0.0.1:${ports.http};`);
  swap(/^(\s*)listen 443 ssl;$/m, (_match, indent) => `${indent}listen 127.0.0.1:${ports.tls} ssl;\n${indent}listen 127.0.0.1:${ports.plain};`);
  if (!targets.upstreamTls) swap(/proxy_pass https:\/\/realtime;/g, () => 'proxy_pass http://realtime;');
  swap(/(upstream realtime \{)([^}]*)(\})/, (_match, open, body, close) => open + withServers(body, targets.realtime) + close);
  swap(/(upstream realtime_acme \{)([^}]*)(\})/, (_match, open, body, close) => open + withServers(body, targets.acme ?? targets.realtime) + close);
  swap(/(upstream reverb \{)([^}]*)(\})/, (_match, open, body, close) => open + withServers(body, [targets.reverb]) + close);
  if (targets.graphqlPercent !== undefined) {
    const percent = targets.graphqlPercent;
    swap(/^(\s*)\d+(?:\.\d+)?%(\s+graphql;)$/m, (_match, indent, rest) => (percent > 0 ? `${indent}${percent}%${rest}` : `${indent}# 0%${rest}`));
  }
  return config;
}

/** An upstream block's body with its `server` lines replaced by `servers`, keeping the first line's parameters. */
function withServers(body: string, servers: readonly string[]): string {
  const lines = body.split('\n');
  const first = lines.findIndex((line) => /^\s*server \S+/.test(line));
  if (first < 0) throw new Error('an upstream has no server line: update test/utils/nginx.ts');
  const [, indent, parameters] = /^(\s*)server \S+?((?: [^;]*)?);/.exec(lines[first]!)!;
  const rest = lines.filter((line) => !/^\s*server \S+/.test(line));
  rest.splice(first, 0, ...servers.map((server) => `${indent}server ${server}${parameters};`));
  return rest.join('\n');
}

export interface RunningNginx {
  /** The TLS server's routing on a plain port (no CA needed). */
  readonly origin: string;
  readonly url: string;
  readonly wsUrl: string;
  readonly ports: NginxPorts;
  /** The access log, as written so far. */
  accessLog(): string;
  /** Where nginx writes it (log_format `realtime`). */
  readonly accessLogFile: string;
  /**
   * Renders the config again for `targets` and reloads it as `nginx -s reload` does (SIGHUP to
   * the master): new requests get the new config, open connections stay on the old workers.
   * Only for an nginx started `reloadable`.
   */
  reload(targets: NginxTargets): Promise<void>;
  /** What `nginx -t` said about the rendered config. */
  readonly testOutput: string;
  stop(): Promise<void>;
}

const running = new Set<RunningNginx>();
afterAll(async () => {
  await Promise.all([...running].map((nginx) => nginx.stop()));
});

/**
 * Renders docker/nginx.conf and its site into a temporary prefix, checks it with `nginx -t`, and runs nginx
 * in the foreground as one process (master_process off, so that stopping it can never leave a
 * worker behind holding the port). It is stopped after the test file at the latest.
 */
export async function startNginx(targets: NginxTargets, { reloadable = false } = {}): Promise<RunningNginx> {
  if (!NGINX) throw new Error('nginx is not installed');
  const prefix = mkdtempSync(join(tmpdir(), 'mechamap-nginx-'));
  const [tls, plain, http] = await Promise.all([freePort(), freePort(), freePort()]);
  const ports = { tls, plain, http };
  const file = join(prefix, 'nginx.conf');
  const render = (current: NginxTargets) =>
    writeFileSync(file, renderNginxConfig(readFileSync(NGINX_CONF, 'utf8'), readFileSync(NGINX_SITE, 'utf8'), current, ports, prefix));
  render(targets);
  const args = ['-p', `${prefix}/`, '-e', 'stderr', '-c', file];

  const tested = await promisify(execFile)(NGINX, [...args, '-t']).catch((error: Error & { stderr?: string }) => {
    throw new Error(`nginx -t refused the rendered docker/nginx.conf and site:\n${error.stderr ?? String(error)}`);
  });

  // Reloadable: a master and its workers, stopped by SIGTERM (the master takes its workers down).
  const child: ChildProcess = spawn(NGINX, [...args, '-g', `daemon off; master_process ${reloadable ? 'on' : 'off'};`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = once(child, 'exit');
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      // The last line nginx logs at start, after it has bound its listening sockets.
      if (stderr.includes('getrlimit(RLIMIT_NOFILE)')) resolve();
    });
    void exited.then(([code]) => reject(new Error(`nginx exited with ${code}:\n${stderr}`)));
  });

  const origin = `http://127.0.0.1:${plain}`;
  const accessLogFile = join(prefix, 'mechamap-realtime.access.log');
  let stopped: Promise<void> | undefined;
  const nginx: RunningNginx = {
    origin,
    url: `${origin}/graphql`,
    wsUrl: `ws://127.0.0.1:${plain}/graphql`,
    ports,
    accessLog: () => readFileSync(accessLogFile, 'utf8'),
    accessLogFile,
    async reload(newTargets) {
      if (!reloadable) throw new Error('this nginx was not started reloadable');
      render(newTargets);
      const from = stderr.length;
      child.kill('SIGHUP');
      // The master logs "reconfiguring", starts the new workers, waits 100 ms, then tells each old
      // worker to shut down; until an old worker logs that, it still accepts under the old config.
      const reloaded = () => {
        const since = stderr.slice(from);
        if (!since.includes('reconfiguring')) return false;
        const afterReconfiguring = since.slice(since.indexOf('reconfiguring'));
        const started = afterReconfiguring.match(/start worker process \d+/g)?.length ?? 0;
        const shuttingDown = afterReconfiguring.match(/gracefully shutting down/g)?.length ?? 0;
        return started > 0 && shuttingDown >= started;
      };
      while (!reloaded()) await once(child.stderr!, 'data');
    },
    testOutput: tested.stderr,
    stop() {
      running.delete(nginx);
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill(reloadable ? 'SIGTERM' : 'SIGKILL');
          await exited;
        }
        rmSync(prefix, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
  running.add(nginx);
  return nginx;
}
