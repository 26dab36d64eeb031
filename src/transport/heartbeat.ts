import type { WebSocket, WebSocketServer } from 'ws';

/**
 * Pings every socket each `intervalMs`; a socket that has not answered the previous ping by
 * then is half-open (a phone that lost its network, a dead proxy) and is terminated, so its
 * subscriptions end and its memory is freed. Returns the stop function.
 */
export function startHeartbeat(wss: WebSocketServer, intervalMs: number): () => void {
  const awaitingPong = new WeakSet<WebSocket>();
  wss.on('connection', (socket) => socket.on('pong', () => awaitingPong.delete(socket)));
  const timer = setInterval(() => {
    for (const socket of wss.clients) {
      if (awaitingPong.has(socket)) {
        socket.terminate();
        continue;
      }
      awaitingPong.add(socket);
      socket.ping();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
