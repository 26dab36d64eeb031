import { execute } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** Marks a context whose execution maps one subscription event (the event is the root value). */
export const SUBSCRIPTION_EVENT = Symbol('subscription event');

/**
 * Lets the WebSocket adapter execute a subscription document against one event through the
 * enveloped `execute`, so that every plugin's execute hooks (error masking, error codes) see
 * the result as they do for any operation. Yoga's executor would subscribe instead (the
 * operation is a subscription), so for a context marked with `SUBSCRIPTION_EVENT` this runs
 * graphql-js' `execute`, which is what graphql-js' `subscribe` runs per event: the selection
 * set against the event as root value, the field's `resolve` included.
 */
export function useSubscriptionEventExecution(): Plugin {
  return {
    onExecute({ args, setExecuteFn }) {
      const context = args.contextValue as unknown as Record<symbol, unknown> | null | undefined;
      if (context?.[SUBSCRIPTION_EVENT] === true) setExecuteFn(execute);
    },
  };
}
