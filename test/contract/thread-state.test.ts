import { randomUUID } from 'node:crypto';
import { createLogger } from '../../src/observability/logger';
import { createMemoryPresenceStore } from '../../src/presence/memory-presence-store';
import type { PresenceStore, PresenceTiming } from '../../src/presence/presence-store';
import { createThreadState, type ThreadState } from '../../src/threads/create-thread-state';
import { isolatedPrefix, sharedRedis } from '../utils/redis';
import { useRedisCluster } from '../utils/redis-cluster';

const TIMING: PresenceTiming = { heartbeatMs: 50, expiryMs: 400 };
const logger = createLogger('silent');
const cluster = useRedisCluster();

/** Two handles on one thread state: two processes on one Redis, or the one process twice. */
const STATES = [
  {
    name: 'memory',
    open(): [ThreadState, ThreadState] {
      const state = createThreadState({ kind: 'memory' }, logger, TIMING);
      return [state, state];
    },
  },
  {
    name: 'redis',
    open(): [ThreadState, ThreadState] {
      const keyPrefix = isolatedPrefix();
      return [createThreadState(sharedRedis({ keyPrefix }), logger, TIMING), createThreadState(sharedRedis({ keyPrefix }), logger, TIMING)];
    },
  },
  {
    name: 'cluster',
    open(): [ThreadState, ThreadState] {
      const keyPrefix = isolatedPrefix();
      const topology = cluster.topology();
      return [createThreadState(sharedRedis({ topology, keyPrefix }), logger, TIMING), createThreadState(sharedRedis({ topology, keyPrefix }), logger, TIMING)];
    },
  },
] as const;

describe.each(STATES)('the $name thread state', ({ open }) => {
  let firstState: ThreadState;
  let secondState: ThreadState;
  let first: PresenceStore;
  let second: PresenceStore;
  beforeEach(() => {
    [firstState, secondState] = open();
    [first, second] = [firstState.presence, secondState.presence];
  });
  afterEach(async () => {
    await firstState.close();
    if (secondState !== firstState) await secondState.close();
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
      await firstState.close();
      expect(await second.snapshot(thread)).toEqual({ count: 0, userIds: [], infos: {} });
    }
  });

  it('grants one typing slot per user and thread within the window', async () => {
    const thread = randomUUID();
    expect(await firstState.typingSlots.claim(thread, '1', 300)).toBe(true);
    expect(await secondState.typingSlots.claim(thread, '1', 300)).toBe(false);
    expect(await secondState.typingSlots.claim(thread, '2', 300)).toBe(true);
    expect(await firstState.typingSlots.claim(randomUUID(), '1', 300)).toBe(true);
  });

  it("remembers a thread's visibility, null until the publisher sets it", async () => {
    const thread = randomUUID();
    expect(await secondState.visibilities.get(thread)).toBeNull();
    await firstState.visibilities.set(thread, 'STAFF');
    expect(await secondState.visibilities.get(thread)).toBe('STAFF');
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
