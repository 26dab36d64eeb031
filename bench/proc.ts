import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Kernel clock ticks per second, the unit of utime/stime in /proc/<pid>/stat. */
export const CLOCK_TICKS_PER_SECOND: number = (() => {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
})();

/** Resident set size of `pid` in KiB (VmRSS of /proc/<pid>/status). */
export function readRssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]);
}

/** The fields of /proc/<pid>/stat after the command name (field 3, the state, is index 0). */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; the fields after its closing parenthesis do not.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * `pid` and its children that run the same program: a WORKERS primary and its workers, so that
 * RSS and CPU are the whole service's (a tsx loader's esbuild child runs another one and is left out).
 */
export function processGroup(pid: number): number[] {
  const program = readlinkSync(`/proc/${pid}/exe`);
  const children = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((candidate) => {
      try {
        return Number(statFields(candidate)[1]) === pid && readlinkSync(`/proc/${candidate}/exe`) === program;
      } catch {
        return false; // gone meanwhile
      }
    });
  return [pid, ...children];
}

/** File descriptors `pid` holds open (sockets included). */
export const openFiles = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

/** The soft limit of open files of `pid` (`ulimit -n`; a child inherits its parent's), from /proc/<pid>/limits. */
export function openFileLimit(pid: number | 'self' = 'self'): number {
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  return match?.[1] === undefined || match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1]);
}

/** CPU time `pid` has used, user + system, in milliseconds (resolution: one clock tick). */
export function readCpuMs(pid: number): number {
  const fields = statFields(pid);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Which source the started service ran: the commit, and "+changes" when src/ differs from it. */
export function describeSource(root: string): string {
  try {
    const commit = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const changed = execFileSync('git', ['-C', root, 'status', '--porcelain', '--', 'src', 'schema'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return changed ? `${commit}+changes` : commit;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/** The machine, as the report states it. */
export function describeMachine() {
  let cpuModel = 'unknown';
  try {
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpuModel;
  } catch {
    /* not Linux */
  }
  return { cpuModel, clockTicksPerSecond: CLOCK_TICKS_PER_SECOND };
}
