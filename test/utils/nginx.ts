import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findProgram } from './programs';
import { freePort } from './free-port';

export const NGINX = findProgram('nginx');
export const NGINX_CONF = join(__dirname, '..', '..', 'docker', 'nginx.conf');

export interface NginxTargets {
  /** host:port of each service process, in place of realtime-1:3000 … realtime-4:3003. */
  readonly realtime: readonly string[];
  /** host:port in place of the old Reverb. */
  readonly reverb: string;
  /** The share of users sent to this service instead of the committed one; 0 comments the line out, as the rollback does. */
  readonly graphqlPercent?: number;
}

/**
 * docker/nginx.conf with only these values swapped: the upstream servers, the listen address,
 * the user, the pid, log and temp paths (into `prefix`), and optionally the split's share.
 * Every swap must match, so a change to the config that this no longer understands fails
 * here instead of quietly testing something else.
 */
export function renderNginxConfig(source: string, targets: NginxTargets, listenPort: number, prefix: string): string {
  let config = source;
  const swap = (pattern: RegExp, replacement: (match: string, ...groups: string[]) => string) => {
    if (!pattern.test(config)) throw new Error(`docker/nginx.conf has no match for ${pattern}: update test/utils/nginx.ts`);
    config = config.replace(pattern, replacement);
  };
  swap(/^user \S+;$/m, () => `user ${userInfo().username};`);
  swap(/^pid \S+;$/m, () => `pid ${prefix}/nginx.pid;`);
  // stderr at notice level, where nginx says when its listening sockets are open.
  swap(/^error_log \S+ \w+;$/m, () => 'error_log stderr notice;');
  swap(/\/var\/(?:log|cache)\/nginx\//g, () => `${prefix}/`);
  swap(/^(\s*)listen 80;$/m, (_match, indent) => `${indent}listen 127.0.0.1:${listenPort};`);
  swap(/(upstream realtime \{)([^}]*)(\})/, (_match, open, body, close) => open + withServers(body, targets.realtime) + close);
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
  if (first < 0) throw new Error('an upstream in docker/nginx.conf has no server line: update test/utils/nginx.ts');
  const [, indent, parameters] = /^(\s*)server \S+?((?: [^;]*)?);/.exec(lines[first]!)!;
  const rest = lines.filter((line) => !/^\s*server \S+/.test(line));
  rest.splice(first, 0, ...servers.map((server) => `${indent}server ${server}${parameters};`));
  return rest.join('\n');
}

export interface RunningNginx {
  readonly origin: string;
  readonly url: string;
  readonly wsUrl: string;
  /** What `nginx -t` said about the rendered config. */
  readonly testOutput: string;
  stop(): Promise<void>;
}

const running = new Set<RunningNginx>();
afterAll(async () => {
  await Promise.all([...running].map((nginx) => nginx.stop()));
});

/**
 * Renders docker/nginx.conf into a temporary prefix, checks it with `nginx -t`, and runs nginx
 * in the foreground as one process (master_process off, so that stopping it can never leave a
 * worker behind holding the port). It is stopped after the test file at the latest.
 */
export async function startNginx(targets: NginxTargets): Promise<RunningNginx> {
  if (!NGINX) throw new Error('nginx is not installed');
  const prefix = mkdtempSync(join(tmpdir(), 'mechamap-nginx-'));
  const port = await freePort();
  const file = join(prefix, 'nginx.conf');
  writeFileSync(file, renderNginxConfig(readFileSync(NGINX_CONF, 'utf8'), targets, port, prefix));
  const args = ['-p', `${prefix}/`, '-e', 'stderr', '-c', file];

  const tested = await promisify(execFile)(NGINX, [...args, '-t']).catch((error: Error & { stderr?: string }) => {
    throw new Error(`nginx -t refused the rendered docker/nginx.conf:\n${error.stderr ?? String(error)}`);
  });

  const child: ChildProcess = spawn(NGINX, [...args, '-g', 'daemon off; master_process off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
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

  const origin = `http://127.0.0.1:${port}`;
  let stopped: Promise<void> | undefined;
  const nginx: RunningNginx = {
    origin,
    url: `${origin}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    testOutput: tested.stderr,
    stop() {
      running.delete(nginx);
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
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
