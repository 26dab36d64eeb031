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

/** Counts the event loop's turns from now until `stop()`; `current()` is the turn running now. */
function countLoopTurns() {
  let turns = 0;
  let counting = true;
  const count = () => {
    turns += 1;
    if (counting) setImmediate(count);
  };
  setImmediate(count);
  return { current: () => turns, stop: () => (counting = false) };
}

/** Jobs run in each loop turn, from the turn each ran in. */
function jobsPerLoopTurn(loopTurns: readonly number[]): number[] {
  const perTurn = new Map<number, number>();
  for (const turn of loopTurns) perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
  return [...perTurn.values()];
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
    const loopTurns = countLoopTurns();
    const ran: Array<{ index: number; loopTurn: number }> = [];
    // Forty callers at once, as forty subscribes read from one socket are.
    await Promise.all(
      Array.from({ length: 40 }, async (_, index) => {
        const turn = takeTurn();
        if (turn) await turn;
        ran.push({ index, loopTurn: loopTurns.current() });
        keepBusy(1);
      }),
    );
    loopTurns.stop();
    expect(ran.map(({ index }) => index)).toEqual(Array.from({ length: 40 }, (_, index) => index));
    const perLoopTurn = jobsPerLoopTurn(ran.map(({ loopTurn }) => loopTurn));
    // 5 ms of 1 ms jobs a turn (and one more that finds the budget spent); not 34 at once.
    expect(Math.max(...perLoopTurn)).toBeLessThanOrEqual(8);
    expect(perLoopTurn.length).toBeGreaterThanOrEqual(5);
  });

  it.each(['a promise', 'runInTurn'])(
    'lets a caller that was let go (waiting on %s) ask again without queueing behind the burst a second time',
    async (waitingOn) => {
      const takeTurn = createTurnTaker(5);
      const steps: string[] = [];
      // A subscribe as the WebSocket transport runs it: the message waited for its turn, then the
      // pipeline asks again before its first await.
      const subscribe = async (index: number) => {
        steps.push(`${index} message`);
        const turn = takeTurn();
        if (turn) await turn;
        steps.push(`${index} subscribe`);
        keepBusy(1);
      };
      // Forty messages read in one poll, each asking for its turn as it arrives.
      const handled = Array.from({ length: 40 }, (_, index) => {
        if (waitingOn === 'runInTurn') return new Promise<void>((resolve) => takeTurn.runInTurn(() => resolve(subscribe(index))));
        const turn = takeTurn();
        return turn ? turn.then(() => subscribe(index)) : subscribe(index);
      });
      await Promise.all(handled);
      expect(steps).toEqual(Array.from({ length: 40 }, (_, index) => [`${index} message`, `${index} subscribe`]).flat());
    },
  );

  it('runs tasks in their turn, in slices and in the order they came, behind callers already waiting', async () => {
    const takeTurn = createTurnTaker(5);
    const loopTurns = countLoopTurns();
    const ran: Array<{ name: string; loopTurn: number }> = [];
    const work = (name: string) => {
      ran.push({ name, loopTurn: loopTurns.current() });
      keepBusy(1);
    };
    const done = Array.from({ length: 40 }, (_, index) => {
      if (index % 2 === 0) return new Promise<void>((resolve) => takeTurn.runInTurn(() => resolve(work(`task ${index}`))));
      const turn = takeTurn();
      if (turn) return turn.then(() => work(`caller ${index}`));
      work(`caller ${index}`);
      return Promise.resolve();
    });
    await Promise.all(done);
    loopTurns.stop();
    expect(ran.map(({ name }) => name)).toEqual(Array.from({ length: 40 }, (_, index) => `${index % 2 === 0 ? 'task' : 'caller'} ${index}`));
    const perLoopTurn = jobsPerLoopTurn(ran.map(({ loopTurn }) => loopTurn));
    expect(Math.max(...perLoopTurn)).toBeLessThanOrEqual(8);
    expect(perLoopTurn.length).toBeGreaterThanOrEqual(5);
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
