/** The service's /metrics, read as the benchmark needs it. */
export type MetricSample = ReadonlyMap<string, number>;

/** Parses Prometheus text into `name{labels}` → value (comments and histograms' buckets included as they are). */
export function parseMetrics(text: string): MetricSample {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/** The worst loop delay seen since `startLoopWindow()`, over every scrape in between. */
const loopWindow = new Map<string, { maxMs: number; p99Ms: number }>();

/** Starts a window over which the service's loop delay is folded (the scrape it makes resets prom-client's histogram). */
export async function startLoopWindow(origin: Origins): Promise<void> {
  await scrapeMetrics(origin);
  loopWindow.set(String(origin), { maxMs: 0, p99Ms: 0 });
}

/** Ends the window: the largest max and the largest p99 of the scrapes made during it (a p99 of one window, not of the whole). */
export async function endLoopWindow(origin: Origins): Promise<{ maxMs: number; p99Ms: number }> {
  await scrapeMetrics(origin);
  const window = loopWindow.get(String(origin)) ?? { maxMs: Number.NaN, p99Ms: Number.NaN };
  loopWindow.delete(String(origin));
  return window;
}

/** One service process's origin, or several processes of one service (their metrics are combined). */
export type Origins = string | readonly string[];

async function scrapeOne(origin: string): Promise<MetricSample> {
  const response = await fetch(`${origin}/metrics`);
  if (!response.ok) throw new Error(`${origin}/metrics answered ${response.status}`);
  return parseMetrics(await response.text());
}

/** The service's own longest delay since the previous scrape (src/observability/loop-delay.ts), already net of its tick. */
const LONGEST_DELAY = 'realtime_event_loop_delay_max_seconds';

const isLoopDelay = (name: string) => name.startsWith('nodejs_eventloop_lag') || name === LONGEST_DELAY;

/** Several processes' samples as one: counts and gauges summed, loop delays the worst of them. */
function combine(samples: readonly MetricSample[]): MetricSample {
  const combined = new Map<string, number>();
  for (const sample of samples)
    for (const [name, value] of sample) {
      const previous = combined.get(name);
      if (previous === undefined) combined.set(name, value);
      else combined.set(name, isLoopDelay(name) ? Math.max(previous, value) : previous + value);
    }
  return combined;
}

export async function scrapeMetrics(origin: Origins): Promise<MetricSample> {
  const sample = typeof origin === 'string' ? await scrapeOne(origin) : combine(await Promise.all(origin.map(scrapeOne)));
  const window = loopWindow.get(String(origin));
  if (window) {
    const delay = serverLoopDelay(sample);
    window.maxMs = Math.max(window.maxMs, delay.maxMs ?? Number.NaN);
    window.p99Ms = Math.max(window.p99Ms, delay.p99Ms ?? Number.NaN);
  }
  return sample;
}

export const liveSubscriptions = (sample: MetricSample, field: 'notification' | 'forumActivity'): number =>
  sample.get(`realtime_active_subscriptions{field="${field}"}`) ?? 0;

export const deliveredEvents = (sample: MetricSample, field: 'notification' | 'forumActivity'): number =>
  sample.get(`realtime_events_delivered_total{field="${field}"}`) ?? 0;

/** prom-client samples the loop every 10 ms unless told otherwise; each sample includes that interval. */
const PROM_CLIENT_LOOP_RESOLUTION_MS = 10;

/**
 * The service's event-loop delay since the previous scrape, in ms: the worst from its own
 * probe, which also counts a block that ends as the scrape is answered (prom-client's max misses
 * those: resetting its histogram forgets the interval not recorded yet); the p99 and mean from
 * prom-client's monitorEventLoopDelay histogram, reset on every scrape, whose samples include its
 * 10 ms sampling interval (subtracted). A service without the probe: prom-client's max.
 */
export function serverLoopDelay(sample: MetricSample) {
  const ms = (name: string) => {
    const value = sample.get(name);
    return value === undefined ? null : Math.max(0, value * 1000 - PROM_CLIENT_LOOP_RESOLUTION_MS);
  };
  const longest = sample.get(LONGEST_DELAY);
  return {
    maxMs: longest === undefined ? ms('nodejs_eventloop_lag_max_seconds') : longest * 1000,
    p99Ms: ms('nodejs_eventloop_lag_p99_seconds'),
    meanMs: ms('nodejs_eventloop_lag_mean_seconds'),
  };
}

/**
 * Resolves once the figure `read` takes from /metrics satisfies `done` (or at the timeout), with
 * its last value. The service offers no event to wait on from another process, so this asks
 * /metrics every 50 ms.
 */
export async function waitForMetric(
  origin: Origins,
  read: (sample: MetricSample) => number,
  done: (value: number) => boolean,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read(await scrapeMetrics(origin));
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolves once `field`'s live count satisfies `done`: the service counts a subscription only once its bus confirmed it. */
export const waitForLive = (origin: Origins, field: 'notification' | 'forumActivity', done: (live: number) => boolean, timeoutMs: number): Promise<number> =>
  waitForMetric(origin, (sample) => liveSubscriptions(sample, field), done, timeoutMs);

/** The WebSocket connections the service holds. */
export const openConnections = (sample: MetricSample): number => sample.get('realtime_websocket_connections') ?? 0;
