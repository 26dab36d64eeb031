/** What a guard says about a stream's reader now. */
export type Verdict = 'deliver' | 'hold' | 'refuse';

export interface GuardOptions {
  /** Asked for every value and every `everyMs`; must answer at once (from memory). */
  readonly check: () => Verdict;
  readonly everyMs: number;
  /** Thrown to the reader when the check refuses; the inner iterator is ended. */
  readonly refusal: () => Error;
}

/**
 * Passes on the values of `inner` while `check` says `deliver`. While it says `hold`, values are
 * held back (only the latest is kept, for a stream of states) and given once it says `deliver`
 * again; once it says `refuse` (checked on every value and every `everyMs`), the reader gets
 * `refusal()` and `inner` is ended. Ending the returned iterator ends `inner` at once.
 */
export function guardIterator<Value>(inner: AsyncIterator<Value>, { check, everyMs, refusal }: GuardOptions): AsyncIterableIterator<Value> {
  let held: { value: Value } | null = null;
  let wake: ((reason: 'tick') => void) | null = null;
  let finished = false;
  let pending: Promise<IteratorResult<Value>> | null = null;
  const timer = setInterval(() => wake?.('tick'), everyMs);
  timer.unref();

  const finish = async (): Promise<IteratorResult<Value>> => {
    if (!finished) {
      finished = true;
      clearInterval(timer);
      wake?.('tick');
      await inner.return?.();
    }
    return { value: undefined, done: true };
  };

  const iterator: AsyncIterableIterator<Value> = {
    async next() {
      while (!finished) {
        const verdict = check();
        if (verdict === 'refuse') {
          await finish();
          throw refusal();
        }
        if (verdict === 'deliver' && held) {
          const { value } = held;
          held = null;
          return { value, done: false };
        }
        pending ??= inner.next();
        const ticked = new Promise<'tick'>((resolve) => (wake = resolve));
        const outcome = await Promise.race([pending, ticked]);
        wake = null;
        if (outcome === 'tick') continue;
        pending = null;
        if (outcome.done) return finish();
        held = { value: outcome.value };
      }
      return { value: undefined, done: true };
    },
    return: finish,
    async throw(error: unknown) {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
