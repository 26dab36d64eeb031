/**
 * Label values must come from a small set, or every distinct value becomes a series of its own:
 * a close code or an error code that a client or a bug could vary is folded into "other".
 */

/** The close codes the service and its clients use: RFC 6455's and graphql-ws'. */
const KNOWN_CLOSE_CODES = new Set([1000, 1001, 1005, 1006, 1008, 1009, 1011, 1012, 1013, 4400, 4401, 4403, 4406, 4408, 4409, 4429, 4499, 4500]);

export function closeCodeLabel(code: number): string {
  return KNOWN_CLOSE_CODES.has(code) ? String(code) : 'other';
}

/** The `extensions.code` values the service answers with; anything else (a library's own) is "OTHER". */
const KNOWN_ERROR_CODES = new Set([
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'UNAVAILABLE',
  'PAYLOAD_TOO_LARGE',
  'TOO_MANY_OPERATIONS',
  'INTERNAL_SERVER_ERROR',
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'BAD_REQUEST',
  'REQUEST_ENTITY_TOO_LARGE',
]);

export function errorCodeLabel(code: string): string {
  return KNOWN_ERROR_CODES.has(code) ? code : 'OTHER';
}
