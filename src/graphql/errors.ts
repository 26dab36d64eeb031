import { GraphQLError } from 'graphql';

/** The `extensions.code` values of the contract. */
export type ErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'BAD_USER_INPUT' | 'UNAVAILABLE';

/**
 * An error the client is meant to read. `httpStatus` is only for errors that fail a whole
 * HTTP request (a bad token); field errors keep the GraphQL-over-HTTP status 200.
 */
export function graphQLError(code: ErrorCode, message: string, httpStatus?: number): GraphQLError {
  return new GraphQLError(message, { extensions: httpStatus ? { code, http: { status: httpStatus } } : { code } });
}

/** A WebSocket connection, or an SSE stream, already runs as many operations as it may. */
export function tooManyOperations(holder: 'connection' | 'stream', limit: number): GraphQLError {
  return new GraphQLError(`A ${holder} may run at most ${limit} operations at once.`, { extensions: { code: 'TOO_MANY_OPERATIONS' } });
}
