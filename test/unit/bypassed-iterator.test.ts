import { BypassedIterator } from '../../src/transport/bypassed-iterator';

class Recorded extends BypassedIterator {
  returns = 0;
  protected onReturn(): void {
    this.returns += 1;
  }
}

describe('the iterator graphql-ws holds for a bypassed operation', () => {
  it('yields nothing: a waiting next() ends when it is finished, and so does every later one', async () => {
    const iterator = new Recorded();
    const waiting = iterator.next();
    iterator.finish();
    iterator.finish(new Error('too late to count'));
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    expect(iterator.returns).toBe(0);
  });

  it('rejects a waiting and every later next() with the error it was finished with', async () => {
    const iterator = new Recorded();
    const waiting = iterator.next();
    iterator.finish(new Error('the group ended'));
    await expect(waiting).rejects.toThrow('the group ended');
    await expect(iterator.next()).rejects.toThrow('the group ended');
  });

  it('calls onReturn when graphql-ws returns it, and ends', async () => {
    const iterator = new Recorded();
    expect(iterator[Symbol.asyncIterator]()).toBe(iterator);
    const waiting = iterator.next();
    expect(await iterator.return()).toEqual({ value: undefined, done: true });
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(iterator.returns).toBe(1);
  });
});
