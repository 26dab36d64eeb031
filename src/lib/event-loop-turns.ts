/** Resolves when the event loop has had its turn; null when the work may go on now. */
export type TakeTurnIfBusy = () => Promise<void> | null;

/**
 * For work that arrives in bursts (hundreds of events in one Redis read): once the work done
 * since the event loop last came round has taken `budgetMs`, the next caller waits for a
 * `setImmediate`, so that timers, other sockets and requests run between slices instead of
 * after the whole burst. Callers that wait resume in the order they asked.
 */
export function createTurnTaker(budgetMs: number): TakeTurnIfBusy {
  let sliceStartedAt: number | null = null;
  let turn: Promise<void> | null = null;
  const endSlice = () => {
    sliceStartedAt = null;
  };
  return () => {
    if (turn) return turn;
    const now = performance.now();
    if (sliceStartedAt === null) {
      sliceStartedAt = now;
      setImmediate(endSlice);
      return null;
    }
    if (now - sliceStartedAt < budgetMs) return null;
    turn = new Promise((resolve) =>
      setImmediate(() => {
        turn = null;
        endSlice();
        resolve();
      }),
    );
    return turn;
  };
}
