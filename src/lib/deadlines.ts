/** The longest delay a Node timer accepts. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Calls `onDue(item)` once the time set for an item (wall-clock ms) has come, with one timer
 * for all items instead of one each: a Node timer costs a few hundred bytes, and a process
 * holds tens of thousands of sockets. Items due at the same millisecond share one bucket, as
 * token expiries do (JWT `exp` counts whole seconds).
 */
export function createDeadlines<Item>(onDue: (item: Item) => void) {
  const buckets = new Map<number, Set<Item>>();
  /** Every bucket's due time, ascending, each once (a time may outlive its emptied bucket until then). */
  const times: number[] = [];
  let timer: NodeJS.Timeout | null = null;

  const arm = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    const next = times[0];
    if (next === undefined) return;
    timer = setTimeout(fire, Math.min(Math.max(next - Date.now(), 0), MAX_TIMER_MS));
    timer.unref();
  };

  function fire() {
    const now = Date.now();
    while (times.length > 0 && times[0]! <= now) {
      const at = times.shift()!;
      const due = buckets.get(at);
      buckets.delete(at);
      if (due) for (const item of due) onDue(item);
    }
    arm();
  }

  /** Where `at` is in `times`, or where it would go. */
  const indexOf = (at: number) => {
    let low = 0;
    let high = times.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (times[middle]! < at) low = middle + 1;
      else high = middle;
    }
    return low;
  };

  return {
    add(item: Item, at: number): void {
      const bucket = buckets.get(at);
      if (bucket) {
        bucket.add(item);
        return;
      }
      buckets.set(at, new Set([item]));
      const index = indexOf(at);
      if (times[index] === at) return;
      times.splice(index, 0, at);
      if (index === 0) arm();
    },
    /** Forgets `item`, set for `at`; nothing happens if it is not set (or was due already). */
    delete(item: Item, at: number): void {
      const bucket = buckets.get(at);
      if (!bucket?.delete(item) || bucket.size > 0) return;
      buckets.delete(at);
    },
    /** Forgets every item. */
    clear(): void {
      buckets.clear();
      times.length = 0;
      arm();
    },
  };
}
