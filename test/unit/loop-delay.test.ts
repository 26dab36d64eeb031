import { Registry } from 'prom-client';
import { registerLoopDelayMax } from '../../src/observability/loop-delay';
import { keepBusy } from '../utils/busy';

const nextLoopTurn = () => new Promise((resolve) => setTimeout(resolve, 30));

async function scrapedDelaySeconds(registry: Registry): Promise<number> {
  const metric = await registry.getSingleMetric('realtime_event_loop_delay_max_seconds')!.get();
  return metric.values[0]!.value;
}

describe('realtime_event_loop_delay_max_seconds', () => {
  let registry: Registry;
  let stop: () => void;
  beforeEach(async () => {
    registry = new Registry();
    stop = registerLoopDelayMax(registry);
    await nextLoopTurn();
    await scrapedDelaySeconds(registry); // a fresh window
  });
  afterEach(() => stop());

  it('reports a block that ends just as the scrape is answered, before any timer could see it, once', async () => {
    keepBusy(400);
    expect(await scrapedDelaySeconds(registry)).toBeGreaterThanOrEqual(0.38);
    await nextLoopTurn();
    expect(await scrapedDelaySeconds(registry)).toBeLessThan(0.3);
  });

  it('reports a block that ended before the scrape, once', async () => {
    keepBusy(400);
    await nextLoopTurn();
    expect(await scrapedDelaySeconds(registry)).toBeGreaterThanOrEqual(0.38);
    await nextLoopTurn();
    expect(await scrapedDelaySeconds(registry)).toBeLessThan(0.3);
  });

  it('reports little when the loop keeps coming round', async () => {
    for (let turn = 0; turn < 5; turn += 1) await nextLoopTurn();
    expect(await scrapedDelaySeconds(registry)).toBeLessThan(0.3);
  });
});
