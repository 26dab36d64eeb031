import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

const RESUMING = 'subscription ($userId: ID!, $after: ID) { notification(userId: $userId, after: $after) { id title } }';

/**
 * A client as the examples build it: on every (re)connection it subscribes again with the last
 * id it saw, and it moves to the other process when its own goes away.
 */
export function resumingSubscriber(urls: string[], userId: string, token: string) {
  const titles: string[] = [];
  /** What the server answered instead of events: a waiting test fails with it rather than waiting forever. */
  const failures: unknown[] = [];
  let lastId: string | null = null;
  let attempt = 0;
  let onTitle: () => void = () => {};
  let unsubscribe: () => void = () => {};
  let connections = 0;
  let open = false;
  let onOpen: () => void = () => {};
  const client: Client = createClient({
    url: () => urls[attempt++ % urls.length]!,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: Infinity,
    retryWait: async () => {},
    shouldRetry: () => true,
    lazy: false,
    onNonLazyError: () => {},
    on: {
      // graphql-ws would resend the old subscription (and its old `after`) on reconnect: drop it.
      closed: () => {
        open = false;
        unsubscribe();
      },
      connected: () => {
        connections += 1;
        open = true;
        onOpen();
        unsubscribe = client.subscribe<{ notification: { id: string; title: string } }>(
          { query: RESUMING, variables: { userId, after: lastId } },
          {
            next: ({ data }) => {
              lastId = data!.notification.id;
              titles.push(data!.notification.title);
              onTitle();
            },
            error: (error) => {
              failures.push(error);
              onTitle();
            },
            complete: () => {},
          },
        );
      },
    },
  });
  return {
    titles,
    connections: () => connections,
    /** Resolves once `count` titles have arrived; rejects if a subscription failed meanwhile. */
    received: (count: number) =>
      new Promise<void>((resolve, reject) => {
        onTitle = () => {
          if (failures.length > 0) reject(new Error(`a subscription failed after ${titles.length} titles: ${JSON.stringify(failures)}`));
          else if (titles.length >= count) resolve();
        };
        onTitle();
      }),
    /** Resolves once the client is connected. */
    connected: () =>
      new Promise<void>((resolve) => {
        onOpen = resolve;
        if (open) resolve();
      }),
    /** Drops the connection abruptly, as a network change would; the client reconnects by itself. */
    terminate: () => client.terminate(),
    dispose: () => client.dispose(),
  };
}
