export interface PushIterator<Value> {
  readonly iterator: AsyncIterableIterator<Value>;
  /** Hands `value` to a waiting reader, or keeps it until read (only the newest when `latestOnly`). */
  push(value: Value): void;
  isEnded(): boolean;
}

export interface PushIteratorOptions {
  /** Keep only the newest unread value: a slow reader skips to the latest state. */
  readonly latestOnly?: boolean;
  /** Runs once when the reader ends the iterator (`return` or `throw`). */
  readonly onEnd: () => Promise<void>;
}

/**
 * An async iterator fed by pushes, for a producer that is a callback (a bus listener, a timer)
 * and a consumer that pulls (graphql-js). Ending it drops what is unread and wakes a waiting
 * reader with `done`.
 */
export function createPushIterator<Value>({ latestOnly = false, onEnd }: PushIteratorOptions): PushIterator<Value> {
  const unread: Value[] = [];
  let waiting: ((result: IteratorResult<Value>) => void) | null = null;
  let ended = false;

  const end = async (): Promise<IteratorResult<Value>> => {
    if (!ended) {
      ended = true;
      unread.length = 0;
      waiting?.({ value: undefined, done: true });
      waiting = null;
      await onEnd();
    }
    return { value: undefined, done: true };
  };

  const iterator: AsyncIterableIterator<Value> = {
    next(): Promise<IteratorResult<Value>> {
      if (unread.length > 0) return Promise.resolve({ value: unread.shift() as Value, done: false });
      if (ended) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => {
        waiting = resolve;
      });
    },
    return: end,
    throw: async (error: unknown) => {
      await end();
      throw error;
    },
    [Symbol.asyncIterator]: () => iterator,
  };

  return {
    iterator,
    push(value) {
      if (ended) return;
      if (waiting) {
        const resolve = waiting;
        waiting = null;
        resolve({ value, done: false });
        return;
      }
      if (latestOnly) unread.length = 0;
      unread.push(value);
    },
    isEnded: () => ended,
  };
}
