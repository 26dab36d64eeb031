/**
 * What the machine allows a run of many connections, checked before anything starts: each client
 * process holds its share of the sockets (one file each, within `ulimit -n`) from a loopback
 * address of its own (one ephemeral port each, within net.ipv4.ip_local_port_range), and each
 * process of the service holds its share of the server ends. A plan that cannot fit fails with
 * the option to change, instead of an hour of EMFILE and EADDRNOTAVAIL.
 */
import { readFileSync } from 'node:fs';
import { openFileLimit } from './proc';
import { SOURCE_PORT_COUNT } from './worker-sockets';

/** Files a process holds besides its sockets (stdio, IPC, Redis, the loop's own, the publisher's pool): a generous allowance. */
const OTHER_FILES = 200;

export interface KernelLimits {
  /** `ulimit -n` of this process, which the client processes and a started service inherit. */
  readonly openFilesPerProcess: number;
  /** net.ipv4.ip_local_port_range: the ephemeral ports of one source address. */
  readonly localPortRange: readonly [number, number];
  readonly somaxconn: number;
  /** net.netfilter.nf_conntrack_max, when connection tracking is loaded (every loopback connection takes an entry). */
  readonly conntrackMax: number | null;
}

function readSysctl(path: string): string | null {
  try {
    return readFileSync(`/proc/sys/${path}`, 'utf8').trim();
  } catch {
    return null;
  }
}

export function readKernelLimits(): KernelLimits {
  const [low, high] = (readSysctl('net/ipv4/ip_local_port_range') ?? '32768 60999').split(/\s+/).map(Number);
  const conntrack = readSysctl('net/netfilter/nf_conntrack_max');
  return {
    openFilesPerProcess: openFileLimit(),
    localPortRange: [low ?? 32768, high ?? 60999],
    somaxconn: Number(readSysctl('net/core/somaxconn') ?? Number.NaN),
    conntrackMax: conntrack === null ? null : Number(conntrack),
  };
}

/**
 * Why `n` connections from `clients` client processes to `serviceProcesses` processes (undefined:
 * a service run elsewhere, whose limits are its own) cannot fit within `limits`; empty when they
 * can. With `ownSourcePorts` each client process binds source ports of its own choosing
 * (worker-sockets.ts), else the kernel's ephemeral ones.
 */
export function planProblems(n: number, clients: number, serviceProcesses: number | undefined, limits: KernelLimits, ownSourcePorts: boolean): string[] {
  const problems: string[] = [];
  const perClient = Math.ceil(n / clients);
  const files = limits.openFilesPerProcess - OTHER_FILES;
  const ports = ownSourcePorts ? SOURCE_PORT_COUNT : limits.localPortRange[1] - limits.localPortRange[0] + 1;
  const atLeast = (perProcess: number) => Math.ceil(n / perProcess);
  if (perClient > files)
    problems.push(
      `--clients ${clients}: each client process would hold ${perClient} sockets, over its open-file limit of ${limits.openFilesPerProcess} (ulimit -n) less ${OTHER_FILES}: use --clients ${atLeast(files)} or more`,
    );
  if (perClient > ports)
    problems.push(
      `--clients ${clients}: each client process (one source address each) would need ${perClient} source ports, over the ${ports} it has: use --clients ${atLeast(ports)} or more`,
    );
  if (serviceProcesses !== undefined && Math.ceil(n / serviceProcesses) > files)
    problems.push(
      `each of the service's ${serviceProcesses} processes would hold ${Math.ceil(n / serviceProcesses)} sockets, over its open-file limit of ${limits.openFilesPerProcess} (ulimit -n) less ${OTHER_FILES}: use --workers ${atLeast(files)} or more`,
    );
  if (limits.conntrackMax !== null && n > limits.conntrackMax)
    problems.push(`${n} loopback connections need as many connection-tracking entries, over net.netfilter.nf_conntrack_max (${limits.conntrackMax})`);
  return problems;
}

/**
 * The kernel's count of connections a full accept queue turned away (TcpExt ListenOverflows of
 * /proc/net/netstat, the whole machine's): each costs its client a SYN retransmission (1 s, then more).
 */
export function listenOverflows(): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  const header = lines.findIndex((line) => line.startsWith('TcpExt:'));
  const names = lines[header]?.split(/\s+/) ?? [];
  const values = lines[header + 1]?.split(/\s+/) ?? [];
  return Number(values[names.indexOf('ListenOverflows')] ?? Number.NaN);
}
