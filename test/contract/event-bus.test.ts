import Redis from 'ioredis';
import { forumActivityTopic, notificationTopic, type Topic } from '../../src/events/topics';
import type { NotificationEvent } from '../../src/events/payloads';
import { createDelivery } from '../../src/history/create-delivery';
import type { EventBus } from '../../src/pubsub/event-bus';
import { openEventStream } from '../../src/pubsub/event-stream';
import { deliveriesWithCluster, silentLogger } from '../utils/deliveries';
import { isolatedPrefix, REDIS_URL, sharedRedis } from '../utils/redis';

const notification = (userId: string, title: string): NotificationEvent => ({
  id: title,
  userId,
  type: 't',
  title,
  body: null,
  url: null,
  data: { nested: [1, 'two'] },
  createdAt: new Date().toISOString(),
});

describe.each(deliveriesWithCluster())('the $name event bus', ({ make }) => {
  let bus: EventBus;
  beforeEach(async () => {
    bus = make().bus;
    await bus.whenConnected(5000);
  });
  afterEach(() => bus.close());

  it('delivers an event published right after subscribe resolves, unchanged', async () => {
    const sent = notification('1', 'first');
    const delivered = new Promise<NotificationEvent>((resolve) => {
      void bus.subscribe(notificationTopic('1'), resolve).then(() => bus.publish(notificationTopic('1'), sent));
    });
    expect(await delivered).toEqual(sent);
  });

  it('keeps publish order and delivers nothing of other topics or after unsubscribing', async () => {
    const stream = await openEventStream(bus, [notificationTopic('2')]);
    for (let index = 0; index < 50; index += 1) {
      const userId = index % 5 === 0 ? '3' : '2';
      await bus.publish(notificationTopic(userId), notification(userId, `${index}`));
    }
    const titles: string[] = [];
    for (let index = 0; index < 40; index += 1) titles.push((await stream.next()).value.title);
    expect(titles).toEqual(
      Array.from({ length: 50 }, (_, i) => i)
        .filter((i) => i % 5 !== 0)
        .map(String),
    );
    await stream.return!();
    await bus.publish(notificationTopic('2'), notification('2', 'after the end'));
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('merges several topics into one stream in publish order, skipping what the filter rejects', async () => {
    const topics = [forumActivityTopic('PUBLIC'), forumActivityTopic('MEMBERS')];
    const ended = jest.fn();
    const stream = await openEventStream(bus, topics, { accept: (event) => event.forumId !== 'skip', onEnd: ended });
    const base = {
      kind: 'POST_CREATED',
      threadId: null,
      postId: null,
      actorId: null,
      title: null,
      excerpt: null,
      url: null,
      data: null,
      occurredAt: '',
    } as const;
    await bus.publish(topics[0]!, { ...base, id: '1', forumId: 'a', visibility: 'PUBLIC' });
    await bus.publish(topics[1]!, { ...base, id: '2', forumId: 'skip', visibility: 'MEMBERS' });
    await bus.publish(topics[1]!, { ...base, id: '3', forumId: 'b', visibility: 'MEMBERS' });
    await bus.publish(topics[0]!, { ...base, id: '4', forumId: 'c', visibility: 'PUBLIC' });
    const ids = [(await stream.next()).value.id, (await stream.next()).value.id, (await stream.next()).value.id];
    expect(ids).toEqual(['1', '3', '4']);
    await stream.return!();
    expect(ended).toHaveBeenCalledTimes(1);
  });
});

describe('the redis event bus, facing a foreign message', () => {
  it('drops what it cannot parse and goes on delivering', async () => {
    const keyPrefix = isolatedPrefix();
    const { bus } = createDelivery(sharedRedis({ keyPrefix }), { maxPerUser: 1, maxAgeSeconds: 60 }, silentLogger);
    const stranger = new Redis(REDIS_URL);
    try {
      await bus.whenConnected(5000);
      const stream = await openEventStream(bus, [notificationTopic('9')]);
      for (const foreign of ['{not json', '42', '"a string"', 'null']) await stranger.publish(`${keyPrefix}${notificationTopic('9').channel}`, foreign);
      await bus.publish(notificationTopic('9'), notification('9', 'valid'));
      expect((await stream.next()).value.title).toBe('valid');
    } finally {
      stranger.disconnect();
      await bus.close();
    }
  });

  it('reads a burst of messages in slices, with the event loop turning between them, losing none', async () => {
    const keyPrefix = isolatedPrefix();
    const { bus } = createDelivery(sharedRedis({ keyPrefix }), { maxPerUser: 1, maxAgeSeconds: 60 }, silentLogger);
    const publisher = new Redis(REDIS_URL);
    const burstTopic: Topic<{ n: number; pad: string }> = { channel: 'burst' };
    const count = 10_000;
    const handledMs = 0.1; // the listener's own cost per message: a second for the burst
    try {
      await bus.whenConnected(5000);
      const received: number[] = [];
      let longestGapMs = 0;
      let lastTick = 0;
      let ticker: NodeJS.Timeout | undefined;
      const allReceived = new Promise<void>((resolve) => {
        void bus
          .subscribe(burstTopic, ({ n }) => {
            // A first burst, handled at once, lets the kernel grow the socket's buffer as it does
            // on a busy connection. In the second, the first message holds the loop until the
            // kernel's buffers are full of the rest: from then on, every gap between the ticks
            // is the reading of that backlog.
            const spinMs = n <= count ? 0 : n === count + 1 ? 300 : handledMs;
            for (const started = performance.now(); performance.now() - started < spinMs;);
            if (n === count + 1) {
              lastTick = performance.now();
              ticker = setInterval(() => {
                const now = performance.now();
                longestGapMs = Math.max(longestGapMs, now - lastTick);
                lastTick = now;
              }, 1);
            }
            if (received.push(n) === 2 * count) resolve();
          })
          .then(async () => {
            // A burst is one script: Redis sends all of it at once, as fast as the socket takes it.
            // Messages of a notification's size, ~500 bytes: ~130 in a 64 KB read.
            const burst = (from: number) =>
              publisher.eval(
                `for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do redis.call('PUBLISH', KEYS[1], '{"n":' .. i .. ',"pad":"' .. ARGV[3] .. '"}') end`,
                1,
                keyPrefix + burstTopic.channel,
                from,
                from + count - 1,
                'x'.repeat(450),
              );
            await burst(1);
            await burst(count + 1);
          });
      });
      await allReceived;
      clearInterval(ticker);
      expect(received).toEqual(Array.from({ length: 2 * count }, (_, i) => i + 1));
      // Unsliced, one poll of the socket (up to 32 reads of 64 KB) takes up to ~0.4 s of handling here.
      expect(longestGapMs).toBeLessThan(100);
    } finally {
      publisher.disconnect();
      await bus.close();
    }
  });
});
