/**
 * A client's graphql-transport-ws message, parsed for graphql-ws' `makeServer`, which accepts
 * a parsed message as well as its text (its `parseMessage` validates either the same way).
 * Parsing here keeps less alive: graphql-ws holds an operation's message, and the text it was
 * given, for the operation's whole life. A subscribe's query text is replaced by
 * `canonicalQuery(query)`, an equal string already held, so that the thousands of operations
 * of one document share one copy. Text that is not JSON is returned as it is, for graphql-ws
 * to refuse exactly as before (4400).
 */
export function parseClientMessage(text: string, canonicalQuery: (query: string) => string): unknown {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return text;
  }
  if (isSubscribe(message)) message.payload.query = canonicalQuery(message.payload.query);
  return message;
}

function isSubscribe(message: unknown): message is { type: 'subscribe'; payload: { query: string } } {
  if (typeof message !== 'object' || message === null || (message as { type?: unknown }).type !== 'subscribe') return false;
  const { payload } = message as { payload?: unknown };
  return typeof payload === 'object' && payload !== null && typeof (payload as { query?: unknown }).query === 'string';
}
