import { AggregatorRegistry, Histogram, Registry, type Metric } from 'prom-client';
import { CountedHistogram } from '../../src/observability/counted-histogram';

const BOUNDS = [0.001, 0.01, 0.1, 1];
/** Values on, between, below and above the bounds, each with how many times it is observed. */
const OBSERVATIONS: ReadonlyArray<readonly [field: string, value: number, count: number]> = [
  ['notification', 0.0005, 3],
  ['notification', 0.01, 2],
  ['forumActivity', 0.05, 10_000],
  ['notification', 7, 1],
  ['forumActivity', 0.001, 4],
];

/** The exposition with every `_sum` rounded: a sum of ten thousand additions differs from one multiplication in its last digits. */
const roundedSums = (text: string) =>
  text.replace(/^(\S+_sum\{[^}]*\}) (\S+)$/gm, (_line, series: string, sum: string) => `${series} ${Number(sum).toPrecision(12)}`);

function registries() {
  const counted = new Registry();
  const histogram = new CountedHistogram('latency_seconds', 'Latency', 'field', BOUNDS);
  counted.registerMetric(histogram as unknown as Metric);
  const reference = new Registry();
  const prom = new Histogram({ name: 'latency_seconds', help: 'Latency', labelNames: ['field'], buckets: BOUNDS, registers: [reference] });
  for (const [field, value, count] of OBSERVATIONS) {
    histogram.observe(field, value, count);
    for (let i = 0; i < count; i += 1) prom.observe({ field }, value);
  }
  return { counted, reference, histogram };
}

describe('CountedHistogram', () => {
  it("exposes what prom-client's Histogram exposes after as many single observations", async () => {
    const { counted, reference } = registries();
    expect(roundedSums(await counted.metrics())).toBe(roundedSums(await reference.metrics()));
  });

  it("is summed across workers as prom-client's histograms are", async () => {
    const { counted, reference } = registries();
    const fromWorkers = async (registry: Registry) =>
      await AggregatorRegistry.aggregate([await registry.getMetricsAsJSON(), await registry.getMetricsAsJSON()]).metrics();
    const summed = await fromWorkers(counted);
    expect(roundedSums(summed)).toBe(roundedSums(await fromWorkers(reference)));
    expect(summed).toMatch(/^latency_seconds_count\{field="forumActivity"\} 20008$/m);
  });

  it('forgets its observations on reset', async () => {
    const { counted, histogram } = registries();
    histogram.reset();
    expect(await counted.metrics()).not.toMatch(/latency_seconds_count/);
  });
});
