/** Resolves when the event loop has had its turn; null when the work may go on now. */
export type TakeTurnIfBusy = () => Promise<void> | null;

/** A `TakeTurnIfBusy` that can also run a task in its turn without a promise (see `runInTurn`). */
export interface TurnTaker extends TakeTurnIfBusy {
  /**
   * Runs `task` now when work may go on, else queues it in its turn, as `takeTurnIfBusy` would
   * queue its caller: for the thousands of messages a burst holds, whose wait would otherwise
   * cost a promise, a reaction and two closures each.
   */
  runInTurn(task: () => void): void;
}

/**
 * For work that arrives in bursts (hundreds of events in one Redis read, thousands of
 * subscribes in one socket read): once the work done since the event loop last came round has
 * taken `budgetMs`, the next caller waits for a `setImmediate`, so that timers, other sockets
 * and requests run between slices instead of after the whole burst.
 *
 * Callers that wait resume in the order they asked, one at a time, and the budget is checked
 * again before each: a thousand callers waiting together are let go in slices too, not all in
 * the next turn. (A caller's budget check sees the work it did up to its first `await`.) A
 * caller that has just been let go does not queue again when its work asks once more before its
 * first `await` (a WebSocket message waits for its turn, then its subscribe or `connection_init`
 * asks the pipeline's): it goes on while the budget lasts, else waits first in line. Queued
 * behind the whole burst a second time, each would hold its message and suspended work for
 * the whole burst (at 10,000 subscribes, tens of MB promoted to the old generation).
 */
export function createTurnTaker(budgetMs: number): TurnTaker {
  let sliceStartedAt: number | null = null;
  const waiting: Array<() => void> = [];
  let turnScheduled = false;
  /** A waiter has been let go and its continuation runs (until the next waiter is considered). */
  let released = false;

  const startSlice = () => {
    sliceStartedAt = performance.now();
    setImmediate(() => (sliceStartedAt = null));
  };
  const overBudget = () => sliceStartedAt !== null && performance.now() - sliceStartedAt >= budgetMs;

  /** Lets the first waiter go, then (once its continuation has run) considers the next. */
  const releaseNext = () => {
    released = false;
    if (waiting.length === 0) return;
    if (overBudget()) return scheduleTurn();
    released = true;
    try {
      waiting.shift()!();
    } finally {
      queueMicrotask(releaseNext);
    }
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

  /** Null when the caller may go on now, else where it waits: first in line (it was let go a moment ago) or last. */
  const placeOfCaller = (): 'first' | 'last' | null => {
    if (released) return overBudget() ? 'first' : null;
    // Behind those already waiting, whatever the budget says.
    if (waiting.length > 0) return 'last';
    if (sliceStartedAt === null) {
      startSlice();
      return null;
    }
    if (!overBudget()) return null;
    scheduleTurn();
    return 'last';
  };
  const queue = (place: 'first' | 'last', waiter: () => void) => (place === 'first' ? waiting.unshift(waiter) : waiting.push(waiter));

  const takeTurnIfBusy = () => {
    const place = placeOfCaller();
    return place && new Promise<void>((resolve) => queue(place, resolve));
  };
  const runInTurn = (task: () => void) => {
    const place = placeOfCaller();
    if (place) queue(place, task);
    else task();
  };
  return Object.assign(takeTurnIfBusy, { runInTurn });
}
