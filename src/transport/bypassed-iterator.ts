/**
 * The iterator graphql-ws holds for an operation whose results bypass it (the pipeline's subscriber
 * writes their frames straight to the socket): it yields nothing and ends when `finish` is called,
 * with the error if there is one. `return()`, which graphql-ws calls when the client completes
 * the operation or the socket closes, first calls `onReturn`. A class, so that each of the
 * tens of thousands of operations a process holds is one small object with shared methods.
 */
export abstract class BypassedIterator implements AsyncIterableIterator<never> {
  private finished: { readonly error?: unknown } | null = null;
  /** Settle the pending `next()`, if any. */
  private resolve: ((result: IteratorResult<never>) => void) | null = null;
  private reject: ((error: unknown) => void) | null = null;

  /** What ending from graphql-ws' side undoes (leaving a group); called once per `return()`. */
  protected abstract onReturn(): void;

  /** Ends the iterator: a pending `next()` settles now, later ones at once. Only the first call counts. */
  finish(error?: unknown): void {
    if (this.finished) return;
    this.finished = { error };
    const { resolve, reject } = this;
    this.resolve = this.reject = null;
    if (error === undefined) resolve?.({ value: undefined, done: true });
    else reject?.(error);
  }

  next(): Promise<IteratorResult<never>> {
    const { finished } = this;
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes on the error the stream ended with, as it came
    if (finished) return finished.error === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(finished.error);
    return new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  async return(): Promise<IteratorResult<never>> {
    this.onReturn();
    this.finish();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
