/** Collects what a subscription delivers; `until(n)` resolves once n items have arrived. */
export function collector<Item>() {
  const received: Item[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  return {
    received,
    push(item: Item) {
      received.push(item);
      for (const waiter of waiters.filter((w) => received.length >= w.count)) waiter.resolve();
    },
    until: (count: number) => new Promise<void>((resolve) => (received.length >= count ? resolve() : waiters.push({ count, resolve }))),
  };
}
