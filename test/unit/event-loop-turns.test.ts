import { createTurnTaker } from '../../src/lib/event-loop-turns';
import { keepBusy } from '../utils/busy';

async function burst(jobs: number, takeTurn: () => Promise<void> | null, onJob: (index: number) => void) {
  for (let index = 0; index < jobs; index += 1) {
    const turn = takeTurn();
    if (turn) await turn;
    onJob(index);
    keepBusy(1);
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

  it('lets callers that wait together go in slices too, in the order they asked', async () => {
    const takeTurn = createTurnTaker(5);
    let loopTurns = 0;
    let counting = true;
    const countTurns = () => {
      loopTurns += 1;
      if (counting) setImmediate(countTurns);
    };
    setImmediate(countTurns);
    const ran: Array<{ index: number; loopTurn: number }> = [];
    // Forty callers at once, as forty subscribes read from one socket are.
    await Promise.all(
      Array.from({ length: 40 }, async (_, index) => {
        const turn = takeTurn();
        if (turn) await turn;
        ran.push({ index, loopTurn: loopTurns });
        keepBusy(1);
      }),
    );
    counting = false;
    expect(ran.map(({ index }) => index)).toEqual(Array.from({ length: 40 }, (_, index) => index));
    const perLoopTurn = new Map<number, number>();
    for (const { loopTurn } of ran) perLoopTurn.set(loopTurn, (perLoopTurn.get(loopTurn) ?? 0) + 1);
    // 5 ms of 1 ms jobs a turn (and one more that finds the budget spent); not 34 at once.
    expect(Math.max(...perLoopTurn.values())).toBeLessThanOrEqual(8);
    expect(perLoopTurn.size).toBeGreaterThanOrEqual(5);
  });

  it('does not make work wait while it stays within the budget', async () => {
    const takeTurn = createTurnTaker(1_000);
    let waited = 0;
    await burst(
      20,
      () => {
        const turn = takeTurn();
        if (turn) waited += 1;
        return turn;
      },
      () => undefined,
    );
    expect(waited).toBe(0);
  });

  it('without it, the loop waits for the whole burst (the case it exists for)', async () => {
    let jobsDone = 0;
    let jobsDoneWhenTheLoopCameRound: number | null = null;
    setImmediate(() => (jobsDoneWhenTheLoopCameRound = jobsDone));
    await burst(
      40,
      () => null,
      (index) => (jobsDone = index),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(jobsDoneWhenTheLoopCameRound).toBe(39);
  });
});
