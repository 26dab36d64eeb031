import { guardIterator, type Verdict } from '../../src/lib/guarded-iterator';
import { createPushIterator } from '../../src/lib/push-iterator';

function source() {
  let ended = false;
  const pushed = createPushIterator<string>({ latestOnly: true, onEnd: async () => void (ended = true) });
  return { ...pushed, ended: () => ended };
}

describe('guardIterator', () => {
  it('passes values while allowed, holds the latest while undecided and gives it once allowed again', async () => {
    const inner = source();
    let verdict: Verdict = 'deliver';
    const guarded = guardIterator(inner.iterator, { check: () => verdict, everyMs: 10, refusal: () => new Error('refused') });
    inner.push('a');
    expect(await guarded.next()).toEqual({ value: 'a', done: false });
    verdict = 'hold';
    inner.push('b');
    inner.push('c');
    const next = guarded.next();
    verdict = 'deliver'; // checked again on the next tick
    expect(await next).toEqual({ value: 'c', done: false });
  });

  it('throws the refusal once the check refuses, even with nothing to deliver, and ends the inner iterator', async () => {
    const inner = source();
    let verdict: Verdict = 'deliver';
    const guarded = guardIterator(inner.iterator, { check: () => verdict, everyMs: 10, refusal: () => new Error('refused') });
    const next = guarded.next();
    verdict = 'refuse';
    await expect(next).rejects.toThrow('refused');
    expect(inner.ended()).toBe(true);
  });

  it('ends the inner iterator at once when the reader ends it', async () => {
    const inner = source();
    const guarded = guardIterator(inner.iterator, { check: () => 'deliver', everyMs: 60_000, refusal: () => new Error('refused') });
    const next = guarded.next();
    await guarded.return!();
    expect(await next).toEqual({ value: undefined, done: true });
    expect(inner.ended()).toBe(true);
  });
});
