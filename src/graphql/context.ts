import type { Caller } from '../events/caller';

/** What every resolver knows about the operation: who asked. */
export interface GraphQLContext {
  readonly caller: Caller;
  /**
   * Set when one execution is shared by several subscribers (see the subscription pipeline):
   * how many receive each result, so that deliveries are counted per subscriber.
   */
  readonly fanOut?: { readonly size: number };
}

/** How many subscribers receive the result of one execution in this context. */
export function subscribersOf(context: GraphQLContext): number {
  return context.fanOut?.size ?? 1;
}
