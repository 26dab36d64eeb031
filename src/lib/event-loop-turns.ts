/** Resolves when the event loop has had its turn; null when the work may go on now. */
export type TakeTurnIfBusy = () => Promise<void> | null;

/**
 * For work that arrives in bursts (hundreds of events in one Redis read, thousands of
 * subscribes in one socket read): once the work done since the event loop last came round has
 * taken `budgetMs`, the next caller waits for a `setImmediate`, so that timers, other sockets
 * and requests run between slices instead of after the whole burst.
 *
 * Callers that wait resume in the order they asked, one at a time, and the budget is checked
 * again before each: a thousand callers waiting together are let go in slices too, not all in
 * the next turn. (A caller's budget check sees the work it did up to its first `await`.)
 */
export function createTurnTaker(budgetMs: number): TakeTurnIfBusy {
  let sliceStartedAt: number | null = null;
  const waiting: Array<() => void> = [];
  let turnScheduled = false;

  const startSlice = () => {
    sliceStartedAt = performance.now();
    setImmediate(() => (sliceStartedAt = null));
  };
  const overBudget = () => sliceStartedAt !== null && performance.now() - sliceStartedAt >= budgetMs;

  /** Lets the first waiter go, then (once its continuation has run) considers the next. */
  const releaseNext = () => {
    if (waiting.length === 0) return;
    if (overBudget()) return scheduleTurn();
    waiting.shift()!();
    queueMicrotask(releaseNext);
  };
  const scheduleTurn = () => {
    if (turnScheduled) return;
    turnScheduled = true;
    setImmediate(() => {
      turnScheduled = false;
      startSlice();
      releaseNext();
    });
  };
  const wait = () => new Promise<void>((resolve) => waiting.push(resolve));

  return () => {
    // Behind those already waiting, whatever the budget says.
    if (waiting.length > 0) return wait();
    if (sliceStartedAt === null) {
      startSlice();
      return null;
    }
    if (!overBudget()) return null;
    const turn = wait();
    scheduleTurn();
    return turn;
  };
}
