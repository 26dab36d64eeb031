import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * A document that does not parse is a request error: `GRAPHQL_PARSE_FAILED`, and `400` under
 * `application/graphql-response+json` (the GraphQL-over-HTTP spec). Yoga labels it so only
 * while parsing for an HTTP request it handles itself; the WebSocket adapter and the HTTP
 * mutation fast path parse through the same enveloped `parse` with no request in the context,
 * and Yoga's parse cache then kept their unlabelled error and answered every later HTTP request
 * for that text with it: `200`, no code. Labelling every parse failure, whoever parsed, keeps
 * the cached error right. Yoga reads `http` for the status and never sends it over HTTP.
 */
export function useParseFailureStatus(): Plugin {
  return {
    onParse:
      () =>
      ({ result }) => {
        if (!(result instanceof GraphQLError)) return;
        const extensions = result.extensions as Record<string, unknown>;
        extensions['code'] ??= 'GRAPHQL_PARSE_FAILED';
        extensions['http'] ??= { spec: true, status: 400 };
      },
  };
}
