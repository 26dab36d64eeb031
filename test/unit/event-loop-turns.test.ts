import { createTurnTaker } from '../../src/lib/event-loop-turns';

/** Keeps the thread busy for `ms`, as delivering a few events would. */
const work = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

async function burst(jobs: number, takeTurn: () => Promise<void> | null, onJob: (index: number) => void) {
  for (let index = 0; index < jobs; index += 1) {
    const turn = takeTurn();
    if (turn) await turn;
    onJob(index);
    work(1);
  }
}

describe('createTurnTaker', () => {
  it('lets the event loop run between slices of a burst', async () => {
    let jobsDone = 0;
    let jobsDoneWhenTheLoopCameRound: number | null = null;
    setImmediate(() => (jobsDoneWhenTheLoopCameRound = jobsDone));
    await burst(40, createTurnTaker(5), (index) => (jobsDone = index));
    expect(jobsDoneWhenTheLoopCameRound).not.toBeNull();
    expect(jobsDoneWhenTheLoopCameRound!).toBeLessThan(20);
  });

  it('does not make work wait while it stays within the budget', async () => {
    const takeTurn = createTurnTaker(1_000);
    let waited = 0;
    await burst(20, () => {
      const turn = takeTurn();
      if (turn) waited += 1;
      return turn;
    }, () => undefined);
    expect(waited).toBe(0);
  });

  it('without it, the loop waits for the whole burst (the case it exists for)', async () => {
    let jobsDone = 0;
    let jobsDoneWhenTheLoopCameRound: number | null = null;
    setImmediate(() => (jobsDoneWhenTheLoopCameRound = jobsDone));
    await burst(40, () => null, (index) => (jobsDone = index));
    await new Promise((resolve) => setImmediate(resolve));
    expect(jobsDoneWhenTheLoopCameRound).toBe(39);
  });
});
