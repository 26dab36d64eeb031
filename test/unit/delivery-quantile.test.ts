import { quantileBetween } from '../../src/admin/delivery-quantile';

describe('the delivery p99 between two heartbeats', () => {
  const before = [
    [0.01, 100],
    [0.05, 100],
    [Infinity, 100],
  ] as const;

  it('reads only what was delivered in between, interpolating in its bucket as Prometheus does', () => {
    // In between: 50 within 10 ms, 50 within 50 ms.
    const after = [
      [0.01, 150],
      [0.05, 200],
      [Infinity, 200],
    ] as const;
    expect(quantileBetween(before, after, 0.5)).toBeCloseTo(0.01);
    expect(quantileBetween(before, after, 0.99)).toBeCloseTo(0.01 + 0.04 * (49 / 50));
  });

  it('is the last finite bound when the quantile falls beyond it, and null when nothing was delivered', () => {
    expect(
      quantileBetween(
        before,
        [
          [0.01, 100],
          [0.05, 100],
          [Infinity, 110],
        ],
        0.99,
      ),
    ).toBe(0.05);
    expect(quantileBetween(before, before, 0.99)).toBeNull();
  });
});
