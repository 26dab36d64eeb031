import type { Topic } from '../events/topics';
import { createPushIterator } from '../lib/push-iterator';
import type { EventBus, Unsubscribe } from './event-bus';

export interface EventStreamOptions<Payload> {
  /** Events it rejects are skipped before they are buffered. */
  readonly accept?: (payload: Payload) => boolean;
  /**
   * Only events whose topic's `routeKey` is this value reach the stream: an index decides it,
   * so an event costs nothing for the streams it is not routed to. Ignored for a topic
   * without a `routeKey`.
   */
  readonly routeKey?: string | null;
  /** Called once when the stream ends, however it ends. */
  readonly onEnd?: () => void;
}

type Listener = (payload: never) => void;

/**
 * One bus subscription per topic and process, however many streams read it: the streams'
 * listeners are indexed by route key, so that an event is handed only to those it can match.
 * It is live (`live` resolved) once the bus confirmed the subscription; a stream that joins
 * it waits for that too.
 */
interface SharedTopic {
  readonly live: Promise<Unsubscribe>;
  readonly unrouted: Set<Listener>;
  /** Made for the first routed listener: most topics (one per user) never have one. */
  routed: Map<string, Set<Listener>> | null;
  size: number;
}

const sharedTopicsByBus = new WeakMap<EventBus, Map<string, SharedTopic>>();

function dispatch<Payload>(shared: SharedTopic, topic: Topic<Payload>, payload: Payload): void {
  for (const listener of shared.unrouted) (listener as (payload: Payload) => void)(payload);
  if (!topic.routeKey || !shared.routed?.size) return;
  const routed = shared.routed.get(topic.routeKey(payload));
  if (routed) for (const listener of routed) (listener as (payload: Payload) => void)(payload);
}

/** Adds `onEvent` to the topic's shared subscription; resolves once that is live. */
async function subscribeShared<Payload>(
  bus: EventBus,
  topic: Topic<Payload>,
  onEvent: (payload: Payload) => void,
  routeKey: string | null,
): Promise<Unsubscribe> {
  let topics = sharedTopicsByBus.get(bus);
  if (!topics) {
    topics = new Map();
    sharedTopicsByBus.set(bus, topics);
  }
  const byChannel = topics;
  let shared = byChannel.get(topic.channel);
  if (!shared) {
    const created: SharedTopic = {
      live: bus.subscribe(topic, (payload) => dispatch(created, topic, payload)),
      unrouted: new Set(),
      routed: null,
      size: 0,
    };
    // A subscription the bus refused is forgotten at once, so the next stream tries again.
    created.live.catch(() => {
      if (byChannel.get(topic.channel) === created) byChannel.delete(topic.channel);
    });
    byChannel.set(topic.channel, created);
    shared = created;
  }
  const topicShare = shared;
  const listener = onEvent as Listener;
  const key = topic.routeKey && routeKey != null ? routeKey : null;
  if (key === null) {
    topicShare.unrouted.add(listener);
  } else {
    const routed = (topicShare.routed ??= new Map<string, Set<Listener>>());
    let listeners = routed.get(key);
    if (!listeners) {
      listeners = new Set();
      routed.set(key, listeners);
    }
    listeners.add(listener);
  }
  topicShare.size += 1;

  let removed = false;
  const remove = async (): Promise<void> => {
    if (removed) return;
    removed = true;
    if (key === null) {
      topicShare.unrouted.delete(listener);
    } else {
      const listeners = topicShare.routed?.get(key);
      listeners?.delete(listener);
      if (listeners?.size === 0) topicShare.routed?.delete(key);
    }
    topicShare.size -= 1;
    if (topicShare.size > 0) return;
    // The last reader left: a stream that comes after this opens a new bus subscription.
    if (byChannel.get(topic.channel) === topicShare) byChannel.delete(topic.channel);
    const unsubscribe = await topicShare.live.catch(() => null);
    await unsubscribe?.();
  };

  try {
    await topicShare.live;
  } catch (error) {
    await remove();
    throw error;
  }
  return remove;
}

/**
 * Adds `onEvent` to the process's one bus subscription of `topic` (opening it if needed) and
 * resolves, once that subscription is live, with the function that removes it. For readers
 * that keep their own queue rather than an iterator (the subscription pipeline's notification deliveries).
 */
export function subscribeTopic<Payload>(
  bus: EventBus,
  topic: Topic<Payload>,
  onEvent: (payload: Payload) => void,
  routeKey: string | null = null,
): Promise<Unsubscribe> {
  return subscribeShared(bus, topic, onEvent, routeKey);
}

/**
 * Subscribes to every topic and resolves, once all are live, with one iterator over their
 * events in arrival order. Ending the iterator (`return`) unsubscribes. If any subscription
 * fails, the ones already made are undone and the error is thrown.
 *
 * Streams of one topic share one bus subscription in this process (the bus keeps its
 * guarantees: a stream is live only once that subscription is confirmed, and sees the
 * topic's events in the bus's order).
 */
export async function openEventStream<Payload>(
  bus: EventBus,
  topics: readonly Topic<Payload>[],
  { accept, routeKey = null, onEnd }: EventStreamOptions<Payload> = {},
): Promise<AsyncIterableIterator<Payload>> {
  let unsubscribes: Unsubscribe[] = [];
  const stream = createPushIterator<Payload>({
    onEnd: async () => {
      await Promise.allSettled(unsubscribes.map((unsubscribe) => unsubscribe()));
      onEnd?.();
    },
  });
  const onEvent = (payload: Payload) => {
    if (!accept || accept(payload)) stream.push(payload);
  };

  const attempts = await Promise.allSettled(topics.map((topic) => subscribeShared(bus, topic, onEvent, routeKey)));
  unsubscribes = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
  const failure = attempts.find((a): a is PromiseRejectedResult => a.status === 'rejected');
  if (failure) {
    await Promise.allSettled(unsubscribes.map((unsubscribe) => unsubscribe()));
    throw failure.reason;
  }

  return stream.iterator;
}
