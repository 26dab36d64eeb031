import type { NotificationEvent } from '../../src/events/payloads';
import { openNotificationStream } from '../../src/history/replay-then-live';
import { compareStreamPositions } from '../../src/history/stream-position';
import { openEventStream } from '../../src/pubsub/event-stream';
import { notificationTopic } from '../../src/events/topics';
import { deliveriesWithCluster, draftFor } from '../utils/deliveries';

const draft = (userId: string, title: string) => draftFor(userId, title, []);

async function take(stream: AsyncIterableIterator<NotificationEvent>, count: number): Promise<string[]> {
  const titles: string[] = [];
  while (titles.length < count) titles.push((await stream.next()).value.title);
  return titles;
}

describe.each(deliveriesWithCluster())('the $name notification history', ({ make }) => {
  const opened: Array<ReturnType<typeof make>> = [];
  const open = async (limits?: { maxPerUser: number; maxAgeSeconds: number }) => {
    const delivery = make(limits);
    opened.push(delivery);
    await delivery.bus.whenConnected(5000);
    return delivery;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((delivery) => delivery.bus.close()));
  });

  it('retains and publishes in one step, with positions that increase per user', async () => {
    const { bus, history } = await open();
    const live = await openEventStream(bus, [notificationTopic('1')]);
    const published = [];
    for (let index = 0; index < 20; index += 1) published.push(await history.publish(draft('1', `${index}`)));
    for (let index = 1; index < published.length; index += 1) {
      expect(compareStreamPositions(published[index]!.id, published[index - 1]!.id)).toBeGreaterThan(0);
    }
    const delivered = [];
    for (let index = 0; index < 20; index += 1) delivered.push((await live.next()).value);
    expect(delivered).toEqual(published);
    expect(delivered[0]!.data).toEqual([]);
    await live.return!();
  });

  it('reads strictly after a position, oldest first, at most the retained count', async () => {
    const { history } = await open({ maxPerUser: 3, maxAgeSeconds: 3600 });
    const published = [];
    for (let index = 0; index < 5; index += 1) published.push(await history.publish(draft('2', `${index}`)));
    await history.publish(draft('other', 'not mine'));
    expect((await history.readAfter('2', '0-0')).map((event) => event.title)).toEqual(['2', '3', '4']);
    expect(await history.readAfter('2', published[2]!.id)).toEqual(published.slice(3));
    expect(await history.readAfter('2', published[4]!.id)).toEqual([]);
    expect(await history.readAfter('nobody', '0-0')).toEqual([]);
  });

  it('replays then goes live with no gap and no duplicate while events keep coming', async () => {
    const { bus, history } = await open({ maxPerUser: 1000, maxAgeSeconds: 3600 });
    const first = [];
    for (let index = 0; index < 10; index += 1) first.push(await history.publish(draft('3', `${index}`)));
    // Published while the stream opens: some land in the history read, some only live, some both.
    const concurrent = Promise.all(Array.from({ length: 30 }, (_, index) => history.publish(draft('3', `${10 + index}`))));
    const stream = await openNotificationStream(bus, history, '3', first[4]!.id, () => {});
    await concurrent;
    const expected = Array.from({ length: 35 }, (_, index) => `${5 + index}`);
    expect(await take(stream, 35)).toEqual(expected);
    await history.publish(draft('3', 'afterwards'));
    expect(await take(stream, 1)).toEqual(['afterwards']);
    await stream.return!();
  });
});
