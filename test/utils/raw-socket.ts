import WebSocket, { type ClientOptions } from 'ws';

export interface RawSocket {
  readonly socket: WebSocket;
  readonly closed: Promise<{ code: number; reason: string }>;
  send(message: object | string | Buffer): void;
  /** Resolves with the next message of the given type. */
  nextMessage(type: string): Promise<Record<string, unknown>>;
}

/** A graphql-transport-ws socket driven by hand, to do what a well-behaved client would not. */
export async function openRawSocket(wsUrl: string, options: ClientOptions = {}): Promise<RawSocket> {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws', options);
  socket.on('error', () => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise((resolve, reject) => socket.once('open', resolve).once('close', reject));
  const inbox: Array<Record<string, unknown>> = [];
  const waiters: Array<{ type: string; resolve: (message: Record<string, unknown>) => void }> = [];
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as Record<string, unknown>;
    const index = waiters.findIndex((waiter) => waiter.type === message['type']);
    if (index >= 0) waiters.splice(index, 1)[0]!.resolve(message);
    else inbox.push(message);
  });
  return {
    socket,
    closed,
    send: (message) => socket.send(typeof message === 'object' && !Buffer.isBuffer(message) ? JSON.stringify(message) : message),
    nextMessage(type) {
      const index = inbox.findIndex((message) => message['type'] === type);
      if (index >= 0) return Promise.resolve(inbox.splice(index, 1)[0]!);
      return new Promise((resolve) => waiters.push({ type, resolve }));
    },
  };
}
