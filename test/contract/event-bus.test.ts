import Redis from 'ioredis';
import pino from 'pino';
import { notificationTopic, forumActivityTopic } from '../../src/events/topics';
import type { NotificationEvent } from '../../src/events/payloads';
import { createEventBus } from '../../src/pubsub/create-event-bus';
import type { EventBus } from '../../src/pubsub/event-bus';
import { openEventStream } from '../../src/pubsub/event-stream';
import { isolatedPrefix, REDIS_URL } from '../utils/redis';

const logger = pino({ level: 'silent' });
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

describe.each([
  { name: 'memory', make: () => createEventBus({ kind: 'memory' }, logger) },
  { name: 'redis', make: () => createEventBus({ kind: 'redis', url: REDIS_URL, keyPrefix: isolatedPrefix() }, logger) },
])('the $name event bus', ({ make }) => {
  let bus: EventBus;
  beforeEach(async () => {
    bus = make();
    await bus.whenConnected(5000);
  });
  afterEach(() => bus.close());

  it('delivers an event published right after subscribe resolves, unchanged', async () => {
    const received: NotificationEvent[] = [];
    const delivered = new Promise<void>((resolve) =>
      bus.subscribe(notificationTopic('1'), (event) => {
        received.push(event);
        resolve();
      }).then(() => bus.publish(notificationTopic('1'), notification('1', 'first'))),
    );
    await delivered;
    expect(received).toEqual([notification('1', 'first')].map((event) => ({ ...event, createdAt: received[0]!.createdAt })));
  });

  it('keeps publish order and delivers nothing of other topics or after unsubscribing', async () => {
    const stream = await openEventStream(bus, [notificationTopic('2')]);
    for (let index = 0; index < 50; index += 1) {
      await bus.publish(notificationTopic(index % 5 === 0 ? '3' : '2'), notification(index % 5 === 0 ? '3' : '2', `${index}`));
    }
    const titles: string[] = [];
    for (let index = 0; index < 40; index += 1) titles.push((await stream.next()).value.title);
    expect(titles).toEqual(Array.from({ length: 50 }, (_, i) => i).filter((i) => i % 5 !== 0).map(String));
    await stream.return!();
    await bus.publish(notificationTopic('2'), notification('2', 'after the end'));
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('merges several topics into one stream in publish order, skipping what the filter rejects', async () => {
    const topics = [forumActivityTopic('PUBLIC'), forumActivityTopic('MEMBERS')];
    const ended = jest.fn();
    const stream = await openEventStream(bus, topics, { accept: (event) => event.forumId !== 'skip', onEnd: ended });
    const base = { kind: 'POST_CREATED', threadId: null, postId: null, actorId: null, title: null, excerpt: null, url: null, data: null, occurredAt: '' } as const;
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
    const bus = createEventBus({ kind: 'redis', url: REDIS_URL, keyPrefix }, logger);
    const stranger = new Redis(REDIS_URL);
    try {
      await bus.whenConnected(5000);
      const stream = await openEventStream(bus, [notificationTopic('9')]);
      await stranger.publish(`${keyPrefix}${notificationTopic('9').channel}`, '{not json');
      await bus.publish(notificationTopic('9'), notification('9', 'valid'));
      expect((await stream.next()).value.title).toBe('valid');
    } finally {
      stranger.disconnect();
      await bus.close();
    }
  });
});
