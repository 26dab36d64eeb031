import type { Topic } from '../events/topics';

export type Unsubscribe = () => Promise<void>;

/**
 * Carries events from publishers to subscribers, within one process or across every process
 * that shares the same Redis.
 *
 * Guarantees, for every implementation:
 * - `subscribe` resolves only once the subscription is live: an event published after it
 *   resolves (on any process) reaches the listener.
 * - Events published on one process to one topic reach each listener in publish order; events
 *   of several topics published from one process keep their relative order too.
 * - Live delivery is at most once: a listener that is not subscribed while an event is
 *   published never sees it. Retention and replay are the history's job, not the bus's.
 * - `publish` resolves once the bus has accepted the event, and rejects with
 *   `BusUnavailableError` when it cannot accept it; it never reports a false success.
 */
export interface EventBus {
  publish<Payload>(topic: Topic<Payload>, payload: Payload): Promise<void>;
  subscribe<Payload>(topic: Topic<Payload>, onEvent: (payload: Payload) => void): Promise<Unsubscribe>;
  /** True while the bus can deliver; `/readyz` reports it. */
  isConnected(): boolean;
  /** Resolves when the bus is first connected, or rejects after `timeoutMs`. */
  whenConnected(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export class BusUnavailableError extends Error {
  constructor(reason: string) {
    super(`event bus unavailable: ${reason}`);
    this.name = 'BusUnavailableError';
  }
}
