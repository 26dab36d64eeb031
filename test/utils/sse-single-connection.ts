import { readEvents } from './sse';

const TOKEN_HEADER = 'x-graphql-event-stream-token';
const controllers = new Set<AbortController>();
afterAll(() => controllers.forEach((controller) => controller.abort()));

const bearer = (token?: string): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

/**
 * The single connection mode of GraphQL over SSE spoken request by request, as the protocol
 * describes it, for what graphql-sse's client never sends (somebody else's token, a forged
 * reservation) and to watch the stream itself.
 */
export function singleConnection(streamUrl: string) {
  return {
    reserve: (userToken?: string) => fetch(streamUrl, { method: 'PUT', headers: bearer(userToken) }),

    async open(reservation: string, userToken?: string) {
      const controller = new AbortController();
      controllers.add(controller);
      const response = await fetch(streamUrl, {
        signal: controller.signal,
        headers: { accept: 'text/event-stream', [TOKEN_HEADER]: reservation, ...bearer(userToken) },
      });
      const next = response.ok ? readEvents(response) : () => Promise.reject(new Error(`no stream: ${response.status}`));
      return {
        status: response.status,
        /** The next `next` or `complete` event, its data parsed. */
        next: async () => {
          const { event, data } = await next();
          return { event, data: JSON.parse(data) as { id: string; payload?: { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> } } };
        },
        close: () => controller.abort(),
      };
    },

    post: (reservation: string, userToken: string | undefined, operationId: string, query: string, variables: Record<string, unknown> = {}) =>
      fetch(streamUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [TOKEN_HEADER]: reservation, ...bearer(userToken) },
        body: JSON.stringify({ query, variables, extensions: { operationId } }),
      }),

    stop: (reservation: string, userToken: string | undefined, operationId: string) =>
      fetch(`${streamUrl}?operationId=${encodeURIComponent(operationId)}`, {
        method: 'DELETE',
        headers: { [TOKEN_HEADER]: reservation, ...bearer(userToken) },
      }),
  };
}
