import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { GraphQLContext } from './context';

/** The longest delay a Node timer accepts. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * A subscription never outlives its user's token: when the token expires, the stream ends.
 * WebSockets are closed with 4403 by their adapter at that moment; this covers the transports
 * that have no socket of their own to close (SSE).
 */
export function useSubscriptionsEndAtTokenExpiry(): Plugin<GraphQLContext> {
  return {
    onSubscribe: ({ args }) => ({
      onSubscribeResult({ result }) {
        const { caller } = args.contextValue;
        if (caller.kind !== 'user' || !isAsyncIterable(result)) return;
        const stream = result as AsyncGenerator<unknown>;
        const timer = setTimeout(() => void stream.return?.(undefined), Math.min(caller.user.expiresAtMs - Date.now(), MAX_TIMER_MS));
        timer.unref();
        const end = stream.return?.bind(stream);
        stream.return = (value?: unknown) => {
          clearTimeout(timer);
          return end ? end(value) : Promise.resolve({ value: undefined, done: true });
        };
      },
    }),
  };
}
