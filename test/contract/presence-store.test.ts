import { randomUUID } from 'node:crypto';
import { createLogger } from '../../src/observability/logger';
import { createMemoryPresenceStore } from '../../src/presence/memory-presence-store';
import type { PresenceStore, PresenceTiming } from '../../src/presence/presence-store';
import { createRedisPresenceStore } from '../../src/presence/redis-presence-store';
import { isolatedPrefix, REDIS_URL } from '../utils/redis';

const TIMING: PresenceTiming = { heartbeatMs: 50, expiryMs: 400 };

/** Two handles on one presence: two processes on one Redis, or the one process twice. */
const STORES = [
  {
    name: 'memory',
    open(): [PresenceStore, PresenceStore] {
      const store = createMemoryPresenceStore(TIMING);
      return [store, store];
    },
  },
  {
    name: 'redis',
    open(): [PresenceStore, PresenceStore] {
      const keyPrefix = isolatedPrefix();
      const logger = createLogger('silent');
      return [
        createRedisPresenceStore({ url: REDIS_URL, keyPrefix, logger, timing: TIMING }),
        createRedisPresenceStore({ url: REDIS_URL, keyPrefix, logger, timing: TIMING }),
      ];
    },
  },
] as const;

describe.each(STORES)('the $name presence store', ({ open }) => {
  let first: PresenceStore;
  let second: PresenceStore;
  beforeEach(() => ([first, second] = open()));
  afterEach(async () => {
    await first.close();
    if (second !== first) await second.close();
  });

  it('counts each signed-in user once however many sessions, and each anonymous session', async () => {
    const thread = randomUUID();
    await first.enter(thread, { sessionId: 's1', userId: '7' });
    await second.enter(thread, { sessionId: 's2', userId: '7' });
    await second.enter(thread, { sessionId: 's3', userId: '10' });
    await first.enter(thread, { sessionId: 's4', userId: null });
    await first.enter(thread, { sessionId: 's5', userId: null });
    expect(await second.snapshot(thread)).toEqual({ count: 4, userIds: ['7', '10'], infos: {} });

    await first.leave(thread, 's1');
    await first.leave(thread, 's4');
    expect(await second.snapshot(thread)).toEqual({ count: 3, userIds: ['7', '10'], infos: {} });
    await second.leave(thread, 's2');
    expect(await first.snapshot(thread)).toEqual({ count: 2, userIds: ['10'], infos: {} });
    expect(await first.snapshot(randomUUID())).toEqual({ count: 0, userIds: [], infos: {} });
  });

  it("shows each user's info (Laravel's user_info) to every process", async () => {
    const thread = randomUUID();
    await first.enter(thread, { sessionId: 's1', userId: '7', info: { id: 7, name: 'Ada' } });
    await second.enter(thread, { sessionId: 's2', userId: '8' });
    expect(await second.snapshot(thread)).toEqual({ count: 2, userIds: ['7', '8'], infos: { '7': { id: 7, name: 'Ada' } } });
  });

  it('keeps sessions alive past the expiry through heartbeats, and drops them when their store closes', async () => {
    const thread = randomUUID();
    await first.enter(thread, { sessionId: 'kept', userId: '1' });
    await new Promise((resolve) => setTimeout(resolve, TIMING.expiryMs * 2)); // time passing is what is tested
    expect(await second.snapshot(thread)).toEqual({ count: 1, userIds: ['1'], infos: {} });
    if (second !== first) {
      await first.close();
      expect(await second.snapshot(thread)).toEqual({ count: 0, userIds: [], infos: {} });
    }
  });

  it('grants one typing slot per user and thread within the window', async () => {
    const thread = randomUUID();
    expect(await first.claimTypingSlot(thread, '1', 300)).toBe(true);
    expect(await second.claimTypingSlot(thread, '1', 300)).toBe(false);
    expect(await second.claimTypingSlot(thread, '2', 300)).toBe(true);
    expect(await first.claimTypingSlot(randomUUID(), '1', 300)).toBe(true);
  });

  it("remembers a thread's visibility, null until the publisher sets it", async () => {
    const thread = randomUUID();
    expect(await second.threadVisibility(thread)).toBeNull();
    await first.setThreadVisibility(thread, 'STAFF');
    expect(await second.threadVisibility(thread)).toBe('STAFF');
  });
});

it('the memory store drops a session not refreshed within the expiry', async () => {
  let now = 1_000_000;
  const store = createMemoryPresenceStore({ heartbeatMs: 60_000, expiryMs: 10_000 }, () => now);
  await store.enter('t', { sessionId: 's', userId: '1' });
  now += 10_000;
  expect((await store.snapshot('t')).count).toBe(1);
  now += 1;
  expect((await store.snapshot('t')).count).toBe(0);
  await store.close();
});
