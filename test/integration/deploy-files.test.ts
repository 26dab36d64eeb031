import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NGINX, NGINX_SITE } from '../utils/nginx';
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
});
