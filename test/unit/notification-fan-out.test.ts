import { createDelivery } from '../../src/history/create-delivery';
import type { NotificationDraft } from '../../src/history/notification-history';
import { createTurnTaker } from '../../src/lib/event-loop-turns';
import { createNotificationFanOut, type NotificationMember } from '../../src/transport/notification-fan-out';
import { silentLogger } from '../utils/deliveries';

const draft = (userId: string, title: string): NotificationDraft => ({
  userId,
  type: 't',
  title,
  body: null,
  url: null,
  data: null,
  createdAt: new Date().toISOString(),
});

/** The fan-out on the in-memory bus (synchronous: every publish is queued at once), with frames collected per socket. */
function fanOutOnMemoryBus() {
  const { bus, history } = createDelivery({ kind: 'memory' }, { maxPerUser: 100, maxAgeSeconds: 3600 }, silentLogger);
  const titlesSent: string[] = [];
  const waiters: Array<{ count: number; resolve(): void }> = [];
  /** Resolves once `count` frames have been sent. */
  const sent = (count: number) => new Promise<void>((resolve) => waiters.push({ count, resolve }));
  const fanOut = createNotificationFanOut<string, NotificationMember<string>>({
    bus,
    history,
    executionKey: () => '',
    execute: async (_member, event) => ({ data: { notification: { title: event.title } } }),
    send: (_socket, frame) => {
      titlesSent.push(JSON.parse(frame.toString()).payload.data.notification.title);
      for (const waiter of waiters) if (titlesSent.length === waiter.count) waiter.resolve();
    },
    onLive: () => undefined,
    takeTurnIfBusy: createTurnTaker(10),
  });
  const join = (userId: string) => fanOut.join({ socket: `socket of ${userId}`, operationId: '1', userId, after: null });
  return { history, fanOut, titlesSent, sent, join };
}

describe('the notification fan-out', () => {
  it('tells publishers when its backlog has dropped below a limit, and delivers everything in order', async () => {
    const { history, fanOut, titlesSent, sent, join } = fanOutOnMemoryBus();
    await join('u');
    expect(fanOut.whenBacklogBelow(10)).toBeNull();
    const published = Array.from({ length: 50 }, (_, index) => history.publish(draft('u', `n${index}`)));
    const caughtUp = fanOut.whenBacklogBelow(10);
    expect(caughtUp).not.toBeNull();
    await caughtUp;
    // Fewer than 10 wait: at least 41 have started, and it did not wait for all 50.
    expect(titlesSent.length).toBeGreaterThanOrEqual(40);
    expect(titlesSent.length).toBeLessThan(50);
    await Promise.all([...published, sent(50)]);
    expect(titlesSent).toEqual(Array.from({ length: 50 }, (_, index) => `n${index}`));
  });

  it('serves every user with events waiting in turn, each user’s in order', async () => {
    const { history, titlesSent, sent, join } = fanOutOnMemoryBus();
    await Promise.all([join('a'), join('b')]);
    for (let index = 0; index < 3; index += 1) {
      void history.publish(draft('a', `a${index}`));
      void history.publish(draft('b', `b${index}`));
    }
    await sent(6);
    expect(titlesSent).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2']);
  });
});
