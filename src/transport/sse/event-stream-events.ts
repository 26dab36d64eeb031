import type { GraphQLError } from 'graphql';

/**
 * The events of GraphQL over SSE's single connection mode: each names the operation it is for.
 * `nextEvent` has the shape `EncodedResult.frame` builds with (the result's JSON, the operation
 * id as key), so a result is serialized once whichever operations receive it.
 */
export const nextEvent = (resultJson: string, operationId: string): Buffer =>
  Buffer.from(`event: next\ndata: {"id":${JSON.stringify(operationId)},"payload":${resultJson}}\n\n`);

export const completeEvent = (operationId: string): string => `event: complete\ndata: ${JSON.stringify({ id: operationId })}\n\n`;

/**
 * `{"errors": [...]}` as Yoga writes it: `extensions.http` (and `unexpected`) steer Yoga's HTTP
 * status and are never sent.
 */
export function errorsJson(errors: readonly GraphQLError[]): string {
  return JSON.stringify({
    errors: errors.map((error) => {
      const { http: _http, unexpected: _unexpected, ...extensions } = (error.extensions ?? {}) as Record<string, unknown>;
      const json = error.toJSON();
      return Object.keys(extensions).length > 0 ? { ...json, extensions } : { ...json, extensions: undefined };
    }),
  });
}
