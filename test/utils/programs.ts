import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The path of `name` on PATH or in the sbin directories, where Debian puts nginx; undefined when absent. */
export function findProgram(name: string): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * `describe` for a suite that runs an external program (php, nginx). `.ci/run` installs them,
 * so under CI a missing program fails the suite; on a developer's machine without it the suite
 * is skipped, saying which package to install.
 */
export function describeWithProgram(program: string | undefined, debianPackages: string, name: string, suite: () => void): void {
  if (program) {
    describe(name, suite);
  } else if (process.env['CI']) {
    describe(name, () => {
      it(`needs ${debianPackages}`, () => {
        throw new Error(`${name}: install ${debianPackages} (.ci/run does so when it is missing)`);
      });
    });
  } else {
    describe.skip(`${name} (skipped: install ${debianPackages})`, suite);
  }
}
