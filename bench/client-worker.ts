/**
 * A client process of the benchmark: opens graphql-ws sockets with the `ws` library and raw
 * graphql-transport-ws messages (lighter than the graphql-ws client, so more of the machine is
 * left to the server), or GraphQL-over-SSE streams with node:http, subscribes, and records when
 * events arrive. Driven by its parent over IPC (see protocol.ts); it never decides anything by itself.
 */
import { request as httpRequest } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket from 'ws';
import {
  FORUM_ACTIVITY_SUBSCRIPTION,
  NOTIFICATION_SUBSCRIPTION,
  type BroadcastReply,
  type ConnectReply,
  type EventData,
  type EventTag,
  type LoopDelayReply,
  type NotificationsReply,
  type WorkerProblems,
  type WorkerRequest,
} from './protocol';
import { wallClockMs } from './stats';
import { answerParent } from './worker-ipc';
import { closeSocket, connectInLanes, PORT_TAKEN, type SocketOutcome, sourcePorts, userTokenSigner } from './worker-sockets';

const MAX_ERRORS_KEPT = 20;
/** Source ports tried for one socket before its failure counts. */
const PORT_ATTEMPTS = 20;
const nextSourcePort = sourcePorts();

/** One user's connection: a graphql-ws socket, or its SSE streams (one per subscription). */
interface Connection {
  readonly userId: string;
  subscribeForum(forumId: string): void;
  close(): Promise<void>;
}

const groups = new Map<string, Set<Connection>>();
const problems = { closed: 0, errors: [] as string[] };
const notifications = new Map<EventTag, { received: number; latenciesMs: number[]; lastAt: number; misrouted: number }>();
const broadcasts = new Map<number, { received: number; firstAt: number; lastAt: number }>();
const waiters = new Set<() => boolean>();
/** Sampling interval of the loop-delay histogram; each sample includes it, so it is subtracted. */
const LOOP_DELAY_RESOLUTION_MS = 10;
const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
loopDelay.enable();

function noteError(message: string): void {
  if (problems.errors.length < MAX_ERRORS_KEPT) problems.errors.push(message);
}

/** Re-checks every pending wait; each returns true once it has answered. */
function checkWaiters(): void {
  for (const waiter of waiters) if (waiter()) waiters.delete(waiter);
}

function notificationsOf(tag: EventTag) {
  let entry = notifications.get(tag);
  if (!entry) notifications.set(tag, (entry = { received: 0, latenciesMs: [], lastAt: 0, misrouted: 0 }));
  return entry;
}

function onNext(connection: Connection, subscriptionId: string, payload: unknown): void {
  const now = wallClockMs();
  const data = (payload as { data?: Record<string, { userId?: string; data?: EventData } | undefined> } | undefined)?.data;
  if (subscriptionId === 'n') {
    const notification = data?.['notification'];
    const event = notification?.data;
    if (!event) return noteError(`a notification without benchmark data: ${JSON.stringify(payload).slice(0, 200)}`);
    const entry = notificationsOf(event.tag);
    entry.received += 1;
    entry.latenciesMs.push(now - event.sentAt);
    entry.lastAt = now;
    if (notification.userId !== connection.userId) entry.misrouted += 1;
  } else {
    const event = data?.['forumActivity']?.data;
    if (!event) return noteError(`a forum event without benchmark data: ${JSON.stringify(payload).slice(0, 200)}`);
    let entry = broadcasts.get(event.seq);
    if (!entry) broadcasts.set(event.seq, (entry = { received: 0, firstAt: now, lastAt: now }));
    entry.received += 1;
    entry.lastAt = now;
  }
  checkWaiters();
}

/** A connection the server ended while the benchmark still held it. */
function noteClosedByServer(group: string, connection: Connection, why: string): void {
  if (!(groups.get(group)?.delete(connection) ?? false)) return;
  problems.closed += 1;
  noteError(`closed by the server: ${why}`);
}

/**
 * Opens one socket (from `localAddress`, on source ports of this process's own), initialises it
 * with the user's token and subscribes to its notifications.
 */
async function openSocket(group: string, wsUrl: string, userId: string, token: string, localAddress: string | undefined): Promise<SocketOutcome> {
  for (let attempt = 1; ; attempt += 1) {
    const outcome = await openSocketFrom(group, wsUrl, userId, token, localAddress, localAddress === undefined ? undefined : nextSourcePort());
    if (outcome !== PORT_TAKEN) return outcome;
    if (attempt === PORT_ATTEMPTS) {
      noteError(`${PORT_ATTEMPTS} source ports in a row were taken`);
      return outcome;
    }
  }
}

function openSocketFrom(
  group: string,
  wsUrl: string,
  userId: string,
  token: string,
  localAddress: string | undefined,
  localPort: number | undefined,
): Promise<SocketOutcome> {
  return new Promise((resolve) => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws', { perMessageDeflate: false, handshakeTimeout: 30_000, localAddress, localPort });
    const connection: Connection = {
      userId,
      subscribeForum: (forumId) =>
        socket.send(JSON.stringify({ type: 'subscribe', id: 'f', payload: { query: FORUM_ACTIVITY_SUBSCRIPTION, variables: { forumId } } })),
      close: () => closeSocket(socket, 'benchmark done'),
    };
    let settled = false;
    const settle = (outcome: SocketOutcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    socket.on('message', (raw) => {
      let message: { type?: string; id?: string; payload?: unknown };
      try {
        message = JSON.parse(String(raw)) as typeof message;
      } catch {
        return noteError(`an unparsable message: ${String(raw).slice(0, 200)}`);
      }
      switch (message.type) {
        case 'connection_ack':
          socket.send(JSON.stringify({ type: 'subscribe', id: 'n', payload: { query: NOTIFICATION_SUBSCRIPTION, variables: { userId } } }));
          groups.get(group)?.add(connection);
          return settle('subscribed');
        case 'next':
          return onNext(connection, message.id ?? '', message.payload);
        case 'ping':
          return socket.send(JSON.stringify({ type: 'pong' }));
        case 'pong':
          return;
        default:
          return noteError(`${message.type ?? 'untyped'} message on ${message.id ?? 'the connection'}: ${JSON.stringify(message.payload).slice(0, 200)}`);
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === PORT_TAKEN && !settled) return settle(PORT_TAKEN);
      noteError(`socket error: ${error.message}`);
      settle(error.message);
    });
    socket.on('close', (code, reason) => {
      noteClosedByServer(group, connection, `socket ${code} ${String(reason)}`);
      settle(`closed ${code} ${String(reason)}`);
    });
  });
}

/**
 * One GraphQL-over-SSE subscription, as graphql-sse's "distinct connections" mode and a browser's
 * fetch make it: a POST with `Accept: text/event-stream` on a connection of its own. Resolves
 * once the response's head says the stream is open (the service counts the subscription live
 * only later, once its bus confirmed it: the parent waits for that on /metrics).
 */
function openEventStream(
  url: string,
  token: string,
  query: string,
  variables: Record<string, unknown>,
  localAddress: string | undefined,
  on: { next(payload: unknown): void; end(why: string): void },
): { opened: Promise<SocketOutcome>; close(): Promise<void> } {
  const body = JSON.stringify({ query, variables });
  const request = httpRequest(url, {
    method: 'POST',
    agent: false,
    localAddress,
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(body) },
  });
  const close = () =>
    new Promise<void>((closed) => {
      if (request.destroyed) return closed();
      request.once('close', () => closed());
      request.destroy();
    });
  const opened = new Promise<SocketOutcome>((resolve) => {
    request.on('response', (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        return resolve(`HTTP ${response.statusCode ?? '?'} for an event stream`);
      }
      resolve('subscribed');
      response.setEncoding('utf8');
      let buffered = '';
      response.on('data', (chunk: string) => {
        buffered += chunk;
        for (let boundary = buffered.indexOf('\n\n'); boundary >= 0; boundary = buffered.indexOf('\n\n')) {
          const block = buffered.slice(0, boundary);
          buffered = buffered.slice(boundary + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
          }
          if (event !== 'next') continue; // pings (comments) and `complete`
          try {
            on.next(JSON.parse(data.join('\n')));
          } catch {
            noteError(`an unparsable event: ${data.join('\n').slice(0, 200)}`);
          }
        }
      });
      response.on('close', () => on.end('the event stream ended'));
    });
    request.on('error', (error) => {
      resolve(error.message);
      on.end(`stream error: ${error.message}`);
    });
  });
  request.end(body);
  return { opened, close };
}

/** Opens one user's notification stream over SSE; its forum stream opens on subscribeForum. */
async function openSseConnection(group: string, url: string, userId: string, token: string, localAddress: string | undefined): Promise<SocketOutcome> {
  const streams: Array<() => Promise<void>> = [];
  const connection: Connection = {
    userId,
    subscribeForum: (forumId) => {
      const { opened, close } = openEventStream(url, token, FORUM_ACTIVITY_SUBSCRIPTION, { forumId }, localAddress, {
        next: (payload) => onNext(connection, 'f', payload),
        end: (why) => noteClosedByServer(group, connection, why),
      });
      streams.push(close);
      void opened.then((outcome) => outcome === 'subscribed' || noteError(`forumActivity over SSE: ${outcome}`));
    },
    close: async () => {
      await Promise.all(streams.map((close) => close()));
    },
  };
  const { opened, close } = openEventStream(url, token, NOTIFICATION_SUBSCRIPTION, { userId }, localAddress, {
    next: (payload) => onNext(connection, 'n', payload),
    end: (why) => noteClosedByServer(group, connection, why),
  });
  streams.push(close);
  const outcome = await opened;
  if (outcome === 'subscribed') groups.get(group)?.add(connection);
  else await close();
  return outcome;
}

async function connect(request: Extract<WorkerRequest, { type: 'connect' }>): Promise<ConnectReply> {
  groups.set(request.group, new Set());
  const signToken = userTokenSigner(request.jwtSecret);
  const { subscribed, failures } = await connectInLanes(
    request.userIds,
    async (userId) =>
      request.transport === 'sse'
        ? openSseConnection(request.group, request.httpUrl, userId, await signToken(userId), request.localAddress)
        : openSocket(request.group, request.wsUrl, userId, await signToken(userId), request.localAddress),
    MAX_ERRORS_KEPT,
  );
  return { opened: request.userIds.length, acknowledged: subscribed, subscribed, failures };
}

function subscribeForum(group: string, forumId: string): number {
  let count = 0;
  for (const connection of groups.get(group) ?? []) {
    connection.subscribeForum(forumId);
    count += 1;
  }
  return count;
}

async function disconnect(group: string): Promise<number> {
  const connections = [...(groups.get(group) ?? [])];
  groups.delete(group); // closes from here on are ours, not the server's
  await Promise.all(connections.map((connection) => connection.close()));
  return connections.length;
}

/** Waits until `done()` holds, re-checked on every event, or until the timeout. */
function waitFor<T>(done: () => boolean, answer: () => T, timeoutMs: number): Promise<T> {
  return new Promise((resolve) => {
    const waiter = () => {
      if (!done()) return false;
      clearTimeout(timer);
      resolve(answer());
      return true;
    };
    const timer = setTimeout(() => {
      waiters.delete(waiter);
      resolve(answer());
    }, timeoutMs);
    if (!waiter()) waiters.add(waiter);
  });
}

function awaitNotifications(tag: EventTag, count: number, timeoutMs: number): Promise<NotificationsReply> {
  return waitFor(
    () => notificationsOf(tag).received >= count,
    () => {
      const entry = notificationsOf(tag);
      return { received: entry.received, latenciesMs: entry.latenciesMs, lastAt: entry.lastAt, misrouted: entry.misrouted };
    },
    timeoutMs,
  );
}

function awaitBroadcast(seq: number, count: number, timeoutMs: number): Promise<BroadcastReply> {
  return waitFor(
    () => (broadcasts.get(seq)?.received ?? 0) >= count,
    () => broadcasts.get(seq) ?? { received: 0, firstAt: Number.NaN, lastAt: Number.NaN },
    timeoutMs,
  );
}

function readLoopDelay(): LoopDelayReply {
  const delayMs = (nanoseconds: number) => Math.max(0, nanoseconds / 1e6 - LOOP_DELAY_RESOLUTION_MS);
  return { maxMs: delayMs(loopDelay.max), p99Ms: delayMs(loopDelay.percentile(99)), meanMs: delayMs(loopDelay.mean) };
}

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.type) {
    case 'connect':
      return connect(request);
    case 'subscribeForum':
      return subscribeForum(request.group, request.forumId);
    case 'disconnect':
      return disconnect(request.group);
    case 'awaitNotifications':
      return awaitNotifications(request.tag, request.count, request.timeoutMs);
    case 'awaitBroadcast':
      return awaitBroadcast(request.seq, request.count, request.timeoutMs);
    case 'resetLoopDelay':
      loopDelay.reset();
      return null;
    case 'loopDelay':
      return { ...readLoopDelay(), problems: { closed: problems.closed, errors: problems.errors } satisfies WorkerProblems };
  }
}

answerParent(handle);
