import { createDeadlines } from '../../src/lib/deadlines';

describe('deadlines on one timer', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('calls each item once at its time, not before, whatever the order they were set in', () => {
    const due: string[] = [];
    const deadlines = createDeadlines<string>((item) => due.push(item));
    deadlines.add('late', 1_003_000);
    deadlines.add('early', 1_001_000);
    deadlines.add('early too', 1_001_000);
    deadlines.add('middle', 1_002_000);
    jest.advanceTimersByTime(999);
    expect(due).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(due).toEqual(['early', 'early too']);
    jest.advanceTimersByTime(1_000);
    expect(due).toEqual(['early', 'early too', 'middle']);
    jest.advanceTimersByTime(10_000);
    expect(due).toEqual(['early', 'early too', 'middle', 'late']);
  });

  it('forgets a deleted item, and its time once its bucket is empty; the others keep theirs', () => {
    const due: string[] = [];
    const deadlines = createDeadlines<string>((item) => due.push(item));
    deadlines.add('gone', 1_001_000);
    deadlines.add('stays', 1_001_000);
    deadlines.add('gone alone', 1_002_000);
    deadlines.delete('gone', 1_001_000);
    deadlines.delete('gone alone', 1_002_000);
    deadlines.delete('never set', 1_002_000);
    deadlines.add('set again', 1_002_000);
    jest.advanceTimersByTime(5_000);
    expect(due).toEqual(['stays', 'set again']);
  });

  it('calls an item already due at once, and waits for one beyond the longest timer delay', () => {
    const due: string[] = [];
    const deadlines = createDeadlines<string>((item) => due.push(item));
    deadlines.add('far', 1_000_000 + 30 * 24 * 3600 * 1000);
    deadlines.add('past', 999_000);
    jest.advanceTimersByTime(1);
    expect(due).toEqual(['past']);
    jest.advanceTimersByTime(29 * 24 * 3600 * 1000);
    expect(due).toEqual(['past']);
    jest.advanceTimersByTime(24 * 3600 * 1000);
    expect(due).toEqual(['past', 'far']);
  });

  it('calls nothing after clear', () => {
    const onDue = jest.fn();
    const deadlines = createDeadlines<string>(onDue);
    deadlines.add('cleared', 1_001_000);
    deadlines.clear();
    jest.advanceTimersByTime(5_000);
    expect(onDue).not.toHaveBeenCalled();
    expect(jest.getTimerCount()).toBe(0);
  });
});
