import { BusUnavailableError } from '../pubsub/event-bus';
import { graphQLError } from './errors';

/** Runs a bus operation, answering `UNAVAILABLE` when the bus cannot take it. */
export async function unlessBusUnavailable<Result>(operation: () => Promise<Result>): Promise<Result> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof BusUnavailableError) {
      throw graphQLError('UNAVAILABLE', 'The event bus is unavailable; nothing was published or subscribed. Retry shortly.');
    }
    throw error;
  }
}

/** Whether `error` says the bus could not take an operation (a transport answers it as 503). */
export const isBusUnavailable = (error: unknown) => error instanceof BusUnavailableError;
