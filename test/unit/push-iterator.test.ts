import { createPushIterator } from '../../src/lib/push-iterator';

describe('a push iterator', () => {
  it('hands values to the reader in push order, waiting or buffered', async () => {
    const { iterator, push } = createPushIterator<number>({ onEnd: async () => {} });
    const first = iterator.next();
    push(1);
    push(2);
    push(3);
    expect(await first).toEqual({ value: 1, done: false });
    expect(await iterator.next()).toEqual({ value: 2, done: false });
    expect(await iterator.next()).toEqual({ value: 3, done: false });
  });

  it('keeps only the newest unread value when latestOnly', async () => {
    const { iterator, push } = createPushIterator<string>({ latestOnly: true, onEnd: async () => {} });
    push('old');
    push('older than the next');
    push('newest');
    expect(await iterator.next()).toEqual({ value: 'newest', done: false });
  });

  it('ends once: wakes a waiting reader with done, drops what is unread, ignores later pushes', async () => {
    const onEnd = jest.fn(async () => {});
    const { iterator, push, isEnded } = createPushIterator<number>({ onEnd });
    const waiting = iterator.next();
    await iterator.return!();
    expect(await waiting).toEqual({ value: undefined, done: true });
    push(4);
    await iterator.return!();
    await expect(iterator.throw!(new Error('boom'))).rejects.toThrow('boom');
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    expect(isEnded()).toBe(true);
    expect(onEnd).toHaveBeenCalledTimes(1);
  });
});
