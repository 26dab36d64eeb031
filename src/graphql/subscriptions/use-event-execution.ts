import { createSourceEventStream, execute } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** Marks a context whose subscription the pipeline runs itself: it takes the events, then executes each. */
export const EVENT_EXECUTION = Symbol('event execution');

const isMarked = (context: unknown) => (context as Record<symbol, unknown> | null | undefined)?.[EVENT_EXECUTION] === true;

/**
 * Lets the subscription pipeline run a subscription through the enveloped `subscribe` and
 * `execute`, so that every plugin's hooks (error masking, error codes) see it as they see any
 * operation, while it keeps the events in hand (for sharing, the delivery filter, replay):
 * for a context marked with `EVENT_EXECUTION`, `subscribe` yields the field's source events
 * (graphql-js' `createSourceEventStream`) and `execute` runs the selection set against one
 * event as root value, the field's `resolve` included — together exactly what graphql-js'
 * `subscribe` does, split where the pipeline needs it.
 */
export function useEventExecution(): Plugin {
  return {
    onSubscribe({ args, setSubscribeFn }) {
      if (isMarked(args.contextValue)) setSubscribeFn(createSourceEventStream as never);
    },
    onExecute({ args, setExecuteFn }) {
      if (isMarked(args.contextValue)) setExecuteFn(execute);
    },
  };
}
