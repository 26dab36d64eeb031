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

/**
 * The source ports of one client process's sockets, handed out in turn, on a loopback address no
 * other process uses. A socket bound to an address with port 0 makes the kernel search its
 * ephemeral range for a port that address has free, a search that grows with the sockets already
 * bound: at 80,000 sockets it took half of the machine's CPU (perf: inet_bhash2_conflict,
 * inet_bind2_bucket_find) and connecting slowed from 400 to 70 a second. A port of our own is
 * one lookup, and the whole range above FIRST_SOURCE_PORT is the address's, not only the ephemeral one.
 */
const FIRST_SOURCE_PORT = 10_000;
const LAST_SOURCE_PORT = 65_535;
export const SOURCE_PORT_COUNT = LAST_SOURCE_PORT - FIRST_SOURCE_PORT + 1;
export function sourcePorts(): () => number {
  let next = FIRST_SOURCE_PORT;
  return () => {
    if (next > LAST_SOURCE_PORT) throw new Error(`no source port left (${FIRST_SOURCE_PORT}–${LAST_SOURCE_PORT} used): use more client processes`);
    return next++;
  };
}

/** A socket whose source port something else holds (a server listening on every address): try the next port. */
export const PORT_TAKEN = 'EADDRINUSE';

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
