import type { Caller } from '../auth/caller';

/** What every resolver knows about the operation: who asked. */
export interface GraphQLContext {
  readonly caller: Caller;
}
