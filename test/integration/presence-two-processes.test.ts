import { DEFAULT_PRESENCE_TIMING } from '../../src/presence/presence-store';
import { startServicePair, type ServiceProcess } from '../utils/service-process';
import { userToken } from '../utils/tokens';
import { connectClient } from '../utils/ws-client';

const VIEWERS = /* GraphQL */ `
  subscription Viewers($threadId: ID!) {
    threadViewers(threadId: $threadId) {
      count
      viewers {
        id
      }
    }
  }
`;

/** The documented bound: a dead process's readers vanish within expiry + one sweep. */
const DEAD_PROCESS_BOUND_MS = DEFAULT_PRESENCE_TIMING.expiryMs + DEFAULT_PRESENCE_TIMING.heartbeatMs;

describe('presence across two processes on one Redis', () => {
  let first: ServiceProcess;
  let second: ServiceProcess;
  beforeAll(async () => {
    [first, second] = await startServicePair();
  }, 60_000);

  it('shows joins and leaves from the other process within a second, and drops a killed process within the bound', async () => {
    const thread = 'two-processes';
    const alice = connectClient(first.wsUrl, `Bearer ${await userToken('401')}`);
    const aliceViewers = alice.subscribe(VIEWERS, { threadId: thread });
    expect(await aliceViewers.next()).toEqual({ data: { threadViewers: { count: 1, viewers: [{ id: '401' }] } } });

    let since = Date.now();
    const bob = connectClient(second.wsUrl, `Bearer ${await userToken('402')}`);
    const bobViewers = bob.subscribe(VIEWERS, { threadId: thread });
    expect(await bobViewers.next()).toEqual({ data: { threadViewers: { count: 2, viewers: [{ id: '401' }, { id: '402' }] } } });
    expect(await aliceViewers.next()).toEqual({ data: { threadViewers: { count: 2, viewers: [{ id: '401' }, { id: '402' }] } } });
    expect(Date.now() - since).toBeLessThan(1_000);

    since = Date.now();
    bobViewers.dispose();
    expect(await aliceViewers.next()).toEqual({ data: { threadViewers: { count: 1, viewers: [{ id: '401' }] } } });
    expect(Date.now() - since).toBeLessThan(1_000);

    const carol = connectClient(second.wsUrl, `Bearer ${await userToken('403')}`);
    const carolViewers = carol.subscribe(VIEWERS, { threadId: thread });
    expect(await carolViewers.next()).toEqual({ data: { threadViewers: { count: 2, viewers: [{ id: '401' }, { id: '403' }] } } });
    expect(await aliceViewers.next()).toEqual({ data: { threadViewers: { count: 2, viewers: [{ id: '401' }, { id: '403' }] } } });

    // A process that dies says nothing: its readers vanish once their heartbeats stop counting.
    since = Date.now();
    second.child.kill('SIGKILL');
    await second.exited;
    expect(await aliceViewers.next()).toEqual({ data: { threadViewers: { count: 1, viewers: [{ id: '401' }] } } });
    expect(Date.now() - since).toBeLessThanOrEqual(DEAD_PROCESS_BOUND_MS + 500);
  }, 60_000);
});
