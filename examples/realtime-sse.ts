import { createClient, type Client, type ExecutionResult } from 'graphql-sse';

export interface RealtimeSseOptions {
  /** `https://realtime.mechamap.example/graphql/stream` */
  readonly url: string;
  /** The user's current token (null: anonymous). Asked before every reservation, so a reconnect uses a fresh one. */
  readonly getToken: () => string | null | Promise<string | null>;
  /**
   * One event stream for all operations (the default: right over HTTP/1.1, where a browser
   * opens at most 6 connections per origin), or one per operation (fine over HTTP/2).
   */
  readonly singleConnection?: boolean;
  /** Reconnects in a row before an operation fails. */
  readonly retryAttempts?: number;
}

/**
 * graphql-sse's client for this service: the token in the Authorization header of every
 * request (the reservation, the stream, each operation), and exponential backoff with jitter
 * between reconnects. When the stream ends (a restart, a token that expired, a network
 * change) the client reserves a new one with fresh headers and sends its operations again.
 */
export function createRealtimeSse({ url, getToken, singleConnection = true, retryAttempts = 20 }: RealtimeSseOptions): Client {
  return createClient({
    url,
    singleConnection,
    retryAttempts,
    retry: (attempt) => new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** attempt, 30_000) * (0.5 + Math.random() / 2))),
    headers: async (): Promise<Record<string, string>> => {
      const token = await getToken();
      return token ? { Authorization: `Bearer ${token}` } : {};
    },
  });
}

export interface Notification {
  readonly id: string;
  readonly type: string;
  readonly title: string;
  readonly body: string | null;
  readonly url: string | null;
  readonly createdAt: string;
}

const NOTIFICATIONS = /* GraphQL */ `
  subscription Notifications($userId: ID!, $after: ID) {
    notification(userId: $userId, after: $after) {
      id
      type
      title
      body
      url
      createdAt
    }
  }
`;

/**
 * A user's notifications that survive reconnects: every time the operation is sent again, its
 * `after` is the last id received, and the service replays what was published meanwhile. The
 * client serializes the variables anew for each attempt, so a getter is enough. Errors (such as
 * FORBIDDEN) arrive as results with `errors`. Returns the function that stops the subscription.
 */
export function subscribeToNotifications(
  client: Client,
  userId: string,
  onNotification: (notification: Notification) => void,
  onErrors: (errors: NonNullable<ExecutionResult['errors']>) => void = () => {},
): () => void {
  let after: string | undefined;
  const variables = {
    userId,
    get after() {
      return after;
    },
  };
  return client.subscribe<{ notification: Notification }>(
    { query: NOTIFICATIONS, variables },
    {
      next: ({ data, errors }) => {
        if (errors?.length) onErrors(errors);
        if (!data?.notification) return;
        after = data.notification.id;
        onNotification(data.notification);
      },
      error: (error) => onErrors([{ message: String(error) } as never]),
      complete: () => {},
    },
  );
}
