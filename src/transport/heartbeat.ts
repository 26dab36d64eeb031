import type { WebSocket, WebSocketServer } from 'ws';

/**
 * Sockets checked per turn of the event loop: each ping is a system call, and sweeping 10,000
 * sockets in one go blocked the loop for ~130 ms.
 */
const SOCKETS_PER_TURN = 500;

/**
 * Pings every socket each `intervalMs`; a socket that has not answered the previous ping by
 * then is half-open (a phone that lost its network, a dead proxy) and is terminated, so its
 * subscriptions end and its memory is freed. Returns the stop function.
 */
export function startHeartbeat(wss: WebSocketServer, intervalMs: number): () => void {
  const awaitingPong = new WeakSet<WebSocket>();
  // One listener for every socket (ws calls it with the socket as `this`), not a closure each.
  function onPong(this: WebSocket) {
    awaitingPong.delete(this);
  }
  wss.on('connection', (socket) => socket.on('pong', onPong));
  let stopped = false;

  const check = (socket: WebSocket) => {
    if (socket.readyState !== socket.OPEN) return;
    if (awaitingPong.has(socket)) {
      socket.terminate();
      return;
    }
    awaitingPong.add(socket);
    socket.ping();
  };

  const sweep = (sockets: readonly WebSocket[], from: number) => {
    if (stopped) return;
    const end = Math.min(from + SOCKETS_PER_TURN, sockets.length);
    for (let index = from; index < end; index += 1) check(sockets[index]!);
    if (end < sockets.length) setImmediate(sweep, sockets, end);
  };

  const timer = setInterval(() => sweep([...wss.clients], 0), intervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
