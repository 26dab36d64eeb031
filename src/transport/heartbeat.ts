import type { WebSocket, WebSocketServer } from 'ws';

/** How far apart the slices of an interval's pings are, at most this many per interval. */
const SLICE_MS = 100;
const MAX_SLICES = 300;

/**
 * Sockets pinged per turn of the event loop within one slice; a larger slice goes on in the
 * next turn (each ping is a system call: 10,000 in one go blocked the loop for ~130 ms).
 */
const SOCKETS_PER_TURN = 500;

/**
 * Pings every socket each `intervalMs`; a socket that has not answered the previous ping by
 * then is half-open (a phone that lost its network, a dead proxy) and is terminated, so its
 * subscriptions end and its memory is freed.
 *
 * The pings are spread over the interval: sockets are dealt in turn to one of its slices (one
 * every SLICE_MS), and each slice's sockets are pinged when its time comes round. Pinging all of
 * them at once took ~1 s of CPU at 10,000 sockets on a slow machine (pings out, pongs in), and
 * every notification published meanwhile waited behind it. Returns the stop function.
 */
export function startHeartbeat(wss: WebSocketServer, intervalMs: number): () => void {
  const sliceCount = Math.max(1, Math.min(MAX_SLICES, Math.floor(intervalMs / SLICE_MS)));
  const slices = Array.from({ length: sliceCount }, () => new Set<WebSocket>());
  // One close listener per slice (ws calls it with the socket as `this`), not a closure per socket.
  const leaveSlice = slices.map(
    (slice) =>
      function (this: WebSocket) {
        slice.delete(this);
      },
  );
  const awaitingPong = new WeakSet<WebSocket>();
  function onPong(this: WebSocket) {
    awaitingPong.delete(this);
  }
  let nextSlice = 0;
  wss.on('connection', (socket) => {
    slices[nextSlice]!.add(socket);
    socket.on('pong', onPong).on('close', leaveSlice[nextSlice]!);
    nextSlice = (nextSlice + 1) % sliceCount;
  });
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

  const pingFrom = (sockets: readonly WebSocket[], from: number) => {
    if (stopped) return;
    const end = Math.min(from + SOCKETS_PER_TURN, sockets.length);
    for (let index = from; index < end; index += 1) check(sockets[index]!);
    if (end < sockets.length) setImmediate(pingFrom, sockets, end);
  };

  let dueSlice = 0;
  const timer = setInterval(
    () => {
      const slice = slices[dueSlice]!;
      dueSlice = (dueSlice + 1) % sliceCount;
      if (slice.size > 0) pingFrom([...slice], 0);
    },
    Math.round(intervalMs / sliceCount),
  );
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
