import { FORUM_ACTIVITY_SUBSCRIPTION } from '../utils/operations';
import { connectSseClient } from '../utils/sse-client';
import { startTestApp } from '../utils/test-app';
import { keepBusy } from '../utils/busy';

const SUBSCRIBES = 60;
/** What the authorization hook takes of the thread per subscribe, as a slow decision would. */
const HOOK_MS = 2;

describe('subscribes of the single connection mode arriving at once on one stream', () => {
  it('take turns with the event loop: other work runs between slices of them, not after them all', async () => {
    // Counts the turns of the event loop (this process is the service's): a subscribe that
    // waited for its turn is authorized in a later one.
    let loopTurns = 0;
    let counting = true;
    const countTurns = () => {
      loopTurns += 1;
      if (counting) setImmediate(countTurns);
    };
    const authorizedInTurn: number[] = [];
    const server = await startTestApp({ MAX_SUBSCRIPTIONS_PER_CONNECTION: String(SUBSCRIBES) }, undefined, {
      subscriptionHooks: {
        authorize: async () => {
          authorizedInTurn.push(loopTurns);
          keepBusy(HOOK_MS);
        },
      },
    });
    // Each operation is a POST of its own: sent together on connections already open, they reach
    // the service in one read of its sockets, as a client's resubscribes after a reconnect do.
    await Promise.all(Array.from({ length: SUBSCRIBES }, async () => (await fetch(`${server.origin}/healthz`)).text()));
    const held: Array<() => void> = [];
    let everyOperationHeld: () => void;
    const allHeld = new Promise<void>((resolve) => (everyOperationHeld = resolve));
    const sendTogether: typeof fetch = async (input, init) => {
      if (init?.method === 'POST') {
        await new Promise<void>((release) => {
          held.push(release);
          if (held.length === SUBSCRIBES) everyOperationHeld();
        });
      }
      return fetch(input, init);
    };
    const client = connectSseClient(`${server.url}/stream`, { singleConnection: true, fetchFn: sendTogether });
    const live = server.expectSubscriptions('forumActivity', SUBSCRIBES);
    setImmediate(countTurns);
    Array.from({ length: SUBSCRIBES }, (_, index) => client.subscribe(FORUM_ACTIVITY_SUBSCRIPTION, { forumId: `turns-${index}` }));
    await allHeld;
    held.forEach((release) => release());
    await live();
    counting = false;

    expect(authorizedInTurn).toHaveLength(SUBSCRIBES);
    const perTurn = new Map<number, number>();
    for (const turn of authorizedInTurn) perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
    // A 10 ms slice holds 5 of them (and one more that finds it spent), not all 60.
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(8);
  });
});
