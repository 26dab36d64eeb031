import type { Topic } from '../events/topics';
import type { EventBus, Unsubscribe } from './event-bus';

export interface EventStreamOptions<Payload> {
  /** Events it rejects are skipped before they are buffered. */
  readonly accept?: (payload: Payload) => boolean;
  /** Called once when the stream ends, however it ends. */
  readonly onEnd?: () => void;
}

/**
 * Subscribes to every topic and resolves, once all are live, with one iterator over their
 * events in arrival order. Ending the iterator (`return`) unsubscribes. If any subscription
 * fails, the ones already made are undone and the error is thrown.
 */
export async function openEventStream<Payload>(
  bus: EventBus,
  topics: readonly Topic<Payload>[],
  { accept, onEnd }: EventStreamOptions<Payload> = {},
): Promise<AsyncIterableIterator<Payload>> {
  const buffered: Payload[] = [];
  let waiting: ((result: IteratorResult<Payload>) => void) | null = null;
  let ended = false;

  const onEvent = (payload: Payload) => {
    if (ended || (accept && !accept(payload))) return;
    if (waiting) {
      const resolve = waiting;
      waiting = null;
      resolve({ value: payload, done: false });
    } else {
      buffered.push(payload);
    }
  };

  const attempts = await Promise.allSettled(topics.map((topic) => bus.subscribe(topic, onEvent)));
  const unsubscribes: Unsubscribe[] = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
  const failure = attempts.find((a): a is PromiseRejectedResult => a.status === 'rejected');
  if (failure) {
    await Promise.allSettled(unsubscribes.map((unsubscribe) => unsubscribe()));
    throw failure.reason;
  }

  const end = async (): Promise<IteratorResult<Payload>> => {
    if (!ended) {
      ended = true;
      buffered.length = 0;
      waiting?.({ value: undefined, done: true });
      waiting = null;
      await Promise.allSettled(unsubscribes.map((unsubscribe) => unsubscribe()));
      onEnd?.();
    }
    return { value: undefined, done: true };
  };

  const iterator: AsyncIterableIterator<Payload> = {
    next(): Promise<IteratorResult<Payload>> {
      if (buffered.length > 0) return Promise.resolve({ value: buffered.shift() as Payload, done: false });
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
  return iterator;
}
