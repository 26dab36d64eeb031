import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load-config';
import { NGINX, NGINX_CONF, NGINX_SITE } from '../utils/nginx';
import { describeWithProgram, findProgram } from '../utils/programs';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const UNIT = join(ROOT, 'deploy', 'systemd', 'mechamap-realtime@.service');
const SYSTEMD_ANALYZE = findProgram('systemd-analyze');
const DEBIAN_NGINX_CONF = '/etc/nginx/nginx.conf';

describe('deploy/ on a plain Debian host', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mechamap-deploy-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describeWithProgram(SYSTEMD_ANALYZE, 'systemd', 'the systemd unit', () => {
    it('passes systemd-analyze verify without a warning, for an instance as an operator enables it', async () => {
      copyFileSync(UNIT, join(dir, 'mechamap-realtime@.service'));
      // verify exits 0 on unknown keys and only warns: any output is a failure here.
      const { stdout, stderr } = await run(SYSTEMD_ANALYZE!, ['verify', join(dir, 'mechamap-realtime@3000.service')]);
      expect(stdout + stderr).toBe('');
    });

    it('has the file limit, the restart policy and the hardening the README promises', async () => {
      const unit = readFileSync(UNIT, 'utf8');
      for (const setting of [
        'LimitNOFILE=65536',
        'Restart=on-failure',
        'NoNewPrivileges=yes',
        'ProtectSystem=strict',
        'ProtectHome=yes',
        'User=mechamap-realtime',
        'EnvironmentFile=/etc/mechamap-realtime/env',
      ]) {
        expect(unit.split('\n')).toContain(setting);
      }
      // systemd's own judgement of the sandbox, from 0 (locked down) to 10 (exposed).
      const { stdout } = await run(SYSTEMD_ANALYZE!, ['security', '--offline=yes', UNIT]);
      const exposure = Number(/Overall exposure level for \S+: (\d+\.\d+)/.exec(stdout)?.[1]);
      expect(exposure).toBeLessThanOrEqual(3);
    });
  });

  describeWithProgram(NGINX, 'nginx', "the nginx site in Debian's stock nginx", () => {
    it("passes nginx -t when included from sites-enabled/ by Debian's own nginx.conf", async () => {
      // Debian's nginx.conf as shipped, with its sites-enabled/ holding only this site, and the
      // paths it writes (pid, logs) moved into the temporary directory.
      const shipped = readFileSync(DEBIAN_NGINX_CONF, 'utf8');
      expect(shipped).toMatch(/^\s*include \/etc\/nginx\/sites-enabled\/\*;$/m);
      const site = readFileSync(NGINX_SITE, 'utf8').replace(/\/var\/log\/nginx\//g, `${dir}/`);
      writeFileSync(join(dir, 'mechamap-realtime.conf'), site);
      writeFileSync(
        join(dir, 'nginx.conf'),
        shipped
          .replace(/^\s*include \/etc\/nginx\/sites-enabled\/\*;$/m, `include ${dir}/mechamap-realtime.conf;`)
          .replace(/^pid \S+;$/m, `pid ${dir}/nginx.pid;`)
          .replace(/\/var\/log\/nginx\//g, `${dir}/`),
      );
      const { stderr } = await run(NGINX!, ['-p', `${dir}/`, '-e', 'stderr', '-t', '-c', join(dir, 'nginx.conf')]);
      expect(stderr).toContain('test is successful');
      expect(stderr).not.toContain('[warn]');
    });
  });

  describe('docker/docker-compose.yml', () => {
    interface ComposeService {
      environment?: Record<string, string>;
      ports?: string[];
      volumes?: string[];
    }
    const compose = parse(readFileSync(join(ROOT, 'docker', 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
    const processes = Object.entries(compose.services).filter(([name]) => name.startsWith('realtime-'));
    const site = readFileSync(NGINX_SITE, 'utf8');
    const upstreamServers = (name: string) =>
      [...new RegExp(`upstream ${name} \\{([^}]*)\\}`).exec(site)![1]!.matchAll(/server (\S+?)[ ;]/g)].map((match) => match[1]);

    /** The environment as compose hands it to a process, its ${…} filled from env.example plus the secrets an operator adds. */
    function environmentOf(service: ComposeService): Record<string, string> {
      const example = Object.fromEntries(
        readFileSync(join(ROOT, 'docker', 'env.example'), 'utf8')
          .split('\n')
          .filter((line) => /^[A-Z_]+=/.test(line))
          .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      );
      const dotEnv: Record<string, string> = {
        ...example,
        JWT_SECRET: 'a-real-secret',
        PUBLISHER_TOKENS: 'a-real-token',
        PUSHER_APP_ID: '1',
        PUSHER_APP_KEY: 'key',
        PUSHER_APP_SECRET: 'secret',
      };
      return Object.fromEntries(
        Object.entries(service.environment!).map(([name, value]) => [
          name,
          String(value).replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_match, variable: string, kind?: string, fallback?: string) => {
            const given = dotEnv[variable];
            if (given !== undefined && given !== '') return given;
            if (kind === '?') throw new Error(`compose would stop: ${fallback}`);
            return fallback ?? '';
          }),
        ]),
      );
    }

    it('runs four processes whose ports are the ones the nginx site proxies to, published on loopback only', () => {
      expect(processes).toHaveLength(4);
      const ports = processes.map(([, service]) => service.environment!['PORT']);
      const acmePorts = processes.map(([, service]) => service.environment!['ACME_HTTP_PORT']);
      expect(upstreamServers('realtime')).toEqual(ports.map((port) => `127.0.0.1:${port}`));
      expect(upstreamServers('realtime_acme')).toEqual(acmePorts.map((port) => `127.0.0.1:${port}`));
      for (const [, service] of processes) {
        const { PORT, ACME_HTTP_PORT } = service.environment!;
        expect(service.ports).toEqual([`127.0.0.1:${PORT}:${PORT}`, `127.0.0.1:${ACME_HTTP_PORT}:${ACME_HTTP_PORT}`]);
      }
    });

    it("gives every process a configuration that loads: production, TLS by ACME, Laravel's Redis broadcaster and the Pusher API", () => {
      for (const [, service] of processes) {
        const config = loadConfig(environmentOf(service));
        expect(config).toMatchObject({
          production: true,
          acme: { domains: ['realtime.mechamap.com'], httpPort: Number(service.environment!['ACME_HTTP_PORT']), dir: '/var/lib/mechamap-realtime/acme' },
          laravel: { redis: { topology: { kind: 'single', url: 'redis://host.docker.internal:6379' }, prefix: 'laravel-database-' }, pusher: { appId: '1' } },
        });
      }
    });

    it('mounts the site where docker/nginx.conf includes it, and the certificate directory where the site reads it', () => {
      const nginx = compose.services['nginx']!;
      const include = /include (\S+);/.exec(readFileSync(NGINX_CONF, 'utf8'))![1];
      expect(nginx.volumes).toContain(`../deploy/nginx/mechamap-realtime.conf:${include}:ro`);
      const certificateDir = /map \$server_port \$realtime_certificate_dir \{\s*default (\S+);/.exec(site)![1];
      expect(nginx.volumes).toContain(`${certificateDir}:${certificateDir}:ro`);
      for (const [, service] of processes) {
        expect(service.environment!['ACME_DIR']).toBe(certificateDir);
        expect(service.volumes).toContain(`${certificateDir}:${certificateDir}`);
      }
    });
  });
});
