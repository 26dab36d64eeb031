/**
 * What both client workers (client-worker.ts, soak-worker.ts) do the same way with their
 * sockets: sign each user's token, open many sockets a bounded number at a time, and close one
 * cleanly.
 */
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import type { ConnectOutcome } from './protocol';

/** Handshakes in flight at once: enough to be quick, few enough not to flood the accept queue. */
const CONNECT_CONCURRENCY = 100;

/** Signs user tokens (HS256, no roles) with `jwtSecret`, all expiring six hours from now. */
export function userTokenSigner(jwtSecret: string): (userId: string) => Promise<string> {
  const secret = new TextEncoder().encode(jwtSecret);
  const expiresAt = Math.floor(Date.now() / 1000) + 6 * 3600;
  return (userId) => new SignJWT({ sub: userId, roles: [] }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(expiresAt).sign(secret);
}

/** `'subscribed'`, or why the socket did not get there. */
export type SocketOutcome = string;

/**
 * Calls `connect` once per item, CONNECT_CONCURRENCY at a time, each lane taking the next item
 * when its connect resolves; counts the `subscribed` outcomes and keeps the first `maxFailures` others.
 */
export async function connectInLanes<T>(items: readonly T[], connect: (item: T) => Promise<SocketOutcome>, maxFailures: number): Promise<ConnectOutcome> {
  const failures: string[] = [];
  let subscribed = 0;
  let next = 0;
  const runLane = async () => {
    while (next < items.length) {
      const outcome = await connect(items[next++] as T);
      if (outcome === 'subscribed') subscribed += 1;
      else if (failures.length < maxFailures) failures.push(outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY, items.length) }, runLane));
  return { subscribed, failures };
}

/** Closes `socket` with 1000 and `reason` (terminated if the close takes over 5 s); resolves once it is closed. */
export function closeSocket(socket: WebSocket, reason: string): Promise<void> {
  return new Promise<void>((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) return resolve();
    socket.once('close', () => resolve());
    socket.close(1000, reason);
    setTimeout(() => socket.terminate(), 5_000).unref();
  });
}
