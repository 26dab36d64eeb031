import { createDelivery } from '../../src/history/create-delivery';
import { createTurnTaker } from '../../src/lib/event-loop-turns';
import { createNotificationDeliveries } from '../../src/graphql/subscriptions/notification-deliveries';
import type { EncodedResult, Subscriber } from '../../src/graphql/subscriptions/subscriber';
import { ANONYMOUS } from '../../src/events/caller';
import { draftFor, silentLogger } from '../utils/deliveries';

const draft = draftFor;

/** The deliveries on the in-memory bus (synchronous: every publish is queued at once), with the titles every subscriber was sent. */
function deliveriesOnMemoryBus() {
  const { bus, history } = createDelivery({ kind: 'memory' }, { maxPerUser: 100, maxAgeSeconds: 3600 }, silentLogger);
  const titlesSent: string[] = [];
  const waiters: Array<{ count: number; resolve(): void }> = [];
  /** Resolves once `count` frames have been sent. */
  const sent = (count: number) => new Promise<void>((resolve) => waiters.push({ count, resolve }));
  const deliveries = createNotificationDeliveries({ bus, history, onLive: () => undefined, takeTurnIfBusy: createTurnTaker(10) });
  const subscriber: Subscriber = {
    caller: ANONYMOUS,
    bearerToken: undefined,
    send: (result: EncodedResult) => {
      titlesSent.push(JSON.parse(result.json).data.notification.title);
      for (const waiter of waiters) if (titlesSent.length === waiter.count) waiter.resolve();
    },
    end: () => undefined,
  };
  const join = (userId: string) =>
    deliveries.join({ userId, after: null, executionKey: '', execute: async (event) => ({ data: { notification: { title: event.title } } }) }, subscriber);
  return { history, deliveries, titlesSent, sent, join };
}

describe('the notification deliveries', () => {
  it('tells publishers when its backlog has dropped below a limit, and delivers everything in order', async () => {
    const { history, deliveries, titlesSent, sent, join } = deliveriesOnMemoryBus();
    await join('u');
    expect(deliveries.whenBacklogBelow(10)).toBeNull();
    const published = Array.from({ length: 50 }, (_, index) => history.publish(draft('u', `n${index}`)));
    const caughtUp = deliveries.whenBacklogBelow(10);
    expect(caughtUp).not.toBeNull();
    await caughtUp;
    // Fewer than 10 wait: at least 41 have started, and it did not wait for all 50.
    expect(titlesSent.length).toBeGreaterThanOrEqual(40);
    expect(titlesSent.length).toBeLessThan(50);
    await Promise.all([...published, sent(50)]);
    expect(titlesSent).toEqual(Array.from({ length: 50 }, (_, index) => `n${index}`));
  });

  it('serves every user with events waiting in turn, each user’s in order', async () => {
    const { history, titlesSent, sent, join } = deliveriesOnMemoryBus();
    await Promise.all([join('a'), join('b')]);
    for (let index = 0; index < 3; index += 1) {
      void history.publish(draft('a', `a${index}`));
      void history.publish(draft('b', `b${index}`));
    }
    await sent(6);
    expect(titlesSent).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2']);
  });
});
