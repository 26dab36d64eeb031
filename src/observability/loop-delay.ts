import { Gauge, type Registry } from 'prom-client';

/** How often the loop is expected to come round to the probe's timer. */
const TICK_MS = 10;

/**
 * `realtime_event_loop_delay_max_seconds`: the longest the event loop was late coming round
 * since the previous scrape. prom-client's `nodejs_eventloop_lag_max_seconds` misses a block
 * that ends just before a scrape: a scrape that waited behind the block is answered before its
 * histogram's timer fires, and resetting the histogram forgets the interval that timer had not
 * recorded yet. Here a scrape counts the interval still open, and the next starts from it.
 * Returns the stop of the probe's timer.
 */
export function registerLoopDelayMax(registry: Registry): () => void {
  let lastTick = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - lastTick);
    lastTick = now;
  }, TICK_MS);
  timer.unref();
  new Gauge({
    name: 'realtime_event_loop_delay_max_seconds',
    help: 'Longest delay of the event loop since the previous scrape, a block that ends as the scrape is answered included',
    registers: [registry],
    // Under WORKERS the group's /metrics says the worst worker's, not the sum of theirs.
    aggregator: 'max',
    collect() {
      const now = performance.now();
      this.set(Math.max(0, Math.max(longest, now - lastTick) - TICK_MS) / 1000);
      longest = 0;
      lastTick = now;
    },
  });
  return () => clearInterval(timer);
}
