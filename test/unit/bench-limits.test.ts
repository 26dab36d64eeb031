import { planProblems, type KernelLimits } from '../../bench/limits';

const THIS_MACHINE: KernelLimits = { openFilesPerProcess: 20_000, localPortRange: [32768, 60999], somaxconn: 4096, conntrackMax: 262_144 };

describe("the benchmark's check of a plan against the machine's limits", () => {
  it('accepts 100,000 connections from 10 client processes to 6 workers within 20,000 open files each', () => {
    expect(planProblems(100_000, 10, 6, THIS_MACHINE, true)).toEqual([]);
  });

  it('names the option to raise when a client process or a service process would pass its open-file limit', () => {
    expect(planProblems(100_000, 4, 6, THIS_MACHINE, true)).toEqual([expect.stringMatching(/^--clients 4: .* 25000 sockets, .*use --clients 6 or more$/)]);
    expect(planProblems(100_000, 10, 4, THIS_MACHINE, true)).toEqual([expect.stringMatching(/25000 sockets, .*use --workers 6 or more$/)]);
    expect(planProblems(100_000, 10, undefined, THIS_MACHINE, true)).toEqual([]);
  });

  it("counts the kernel's ephemeral ports for a client process that does not choose its own", () => {
    const unlimited = { ...THIS_MACHINE, openFilesPerProcess: 1_000_000 };
    expect(planProblems(100_000, 2, undefined, unlimited, true)).toEqual([]);
    expect(planProblems(100_000, 2, undefined, unlimited, false)).toEqual([
      expect.stringMatching(/50000 source ports, over the 28232 it has: use --clients 4 or more$/),
    ]);
  });

  it('needs a connection-tracking entry per connection where the kernel tracks them', () => {
    expect(planProblems(300_000, 30, 30, THIS_MACHINE, true)).toEqual([expect.stringMatching(/nf_conntrack_max \(262144\)$/)]);
  });
});
