/**
 * A client process of the soak: each of its users has one socket at a time, opened with the `ws`
 * library and raw graphql-transport-ws messages like client-worker.ts, and lives a churning life —
 * online for a while, then it leaves (a clean close, or the TCP connection dropped without a
 * close frame), away for a while, then back, resuming `notification(userId, after)` from the last
 * id it saw. It records every notification id each user receives, across all its sockets, for
 * the parent to check against what was accepted. Driven by its parent over IPC (soak-protocol.ts).
 */
import WebSocket from 'ws';
import {
  BEFORE_EVERYTHING,
  SOAK_FORUM_SUBSCRIPTION,
  SOAK_NOTIFICATION_SUBSCRIPTION,
  type ChurnPlan,
  type CollectReply,
  type ConnectAllReply,
  type SettleReply,
  type SoakCounters,
  type SoakRequest,
} from './soak-protocol';
import { answerParent } from './worker-ipc';
import { closeSocket, connectInLanes, type SocketOutcome, userTokenSigner } from './worker-sockets';

const MAX_SAMPLES_KEPT = 20;
/** After a failed connect (not a planned absence), how long before trying again. */
const RETRY_AFTER_FAILURE_MS = 1_000;

interface SoakClient {
  readonly userId: string;
  readonly forum: boolean;
  readonly token: string;
  /** The last notification id this user saw: the `after` of its next subscribe. */
  lastId: string | undefined;
  readonly received: string[];
  socket: WebSocket | undefined;
  /** `leaving`: the client asked its socket to close; `away`: no socket. */
  state: 'connecting' | 'online' | 'leaving' | 'away';
  timer: NodeJS.Timeout | undefined;
}

const clients = new Map<string, SoakClient>();
const counters = {
  connects: 0,
  resumes: 0,
  cleanCloses: 0,
  abruptCloses: 0,
  connectFailures: 0,
  serverCloses: 0,
  protocolErrors: 0,
  misrouted: 0,
  forumReceived: 0,
};
const errorSamples: string[] = [];
let target: { wsUrl: string; forumId: string; localAddress: string | undefined } | undefined;
/** What the churn does now: clients leave and come back (`churning`), come back and stay (`settling`), or nothing. */
let mode: 'still' | 'churning' | 'settling' = 'still';
let plan: ChurnPlan | undefined;
/** While settling: each user still waiting for its last notification → that notification's id. */
const awaitedLast = new Map<string, string>();
let onAllSettled: (() => void) | undefined;

function noteError(message: string): void {
  if (errorSamples.length < MAX_SAMPLES_KEPT) errorSamples.push(message);
}

const uniform = ([min, max]: readonly [number, number]) => min + Math.random() * (max - min);

function schedule(client: SoakClient, delayMs: number, action: (client: SoakClient) => void): void {
  clearTimeout(client.timer);
  client.timer = setTimeout(() => {
    client.timer = undefined;
    action(client);
  }, delayMs);
}

function onNotification(client: SoakClient, payload: unknown): void {
  const notification = (payload as { data?: { notification?: { id?: string; userId?: string } } } | undefined)?.data?.notification;
  if (typeof notification?.id !== 'string') {
    counters.protocolErrors += 1;
    return noteError(`a notification without an id: ${JSON.stringify(payload).slice(0, 200)}`);
  }
  if (notification.userId !== client.userId) counters.misrouted += 1;
  client.received.push(notification.id);
  client.lastId = notification.id;
  if (awaitedLast.get(client.userId) === notification.id) {
    awaitedLast.delete(client.userId);
    if (awaitedLast.size === 0) onAllSettled?.();
  }
}

/** Opens the client's socket; resolves once it is acknowledged and subscribed, or with why it failed. */
function comeBack(client: SoakClient): Promise<SocketOutcome> {
  const { wsUrl, forumId, localAddress } = target!;
  return new Promise((resolve) => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws', { perMessageDeflate: false, handshakeTimeout: 30_000, localAddress });
    client.socket = socket;
    client.state = 'connecting';
    counters.connects += 1;
    let answered = false;
    const answer = (outcome: SocketOutcome) => {
      if (answered) return;
      answered = true;
      resolve(outcome);
    };
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${client.token}` } })));
    socket.on('message', (raw) => {
      if (client.socket !== socket) return;
      let message: { type?: string; id?: string; payload?: unknown };
      try {
        message = JSON.parse(String(raw)) as typeof message;
      } catch {
        counters.protocolErrors += 1;
        return noteError(`an unparsable message: ${String(raw).slice(0, 200)}`);
      }
      switch (message.type) {
        case 'connection_ack': {
          const after = client.lastId ?? BEFORE_EVERYTHING;
          if (client.lastId !== undefined) counters.resumes += 1;
          socket.send(
            JSON.stringify({ type: 'subscribe', id: 'n', payload: { query: SOAK_NOTIFICATION_SUBSCRIPTION, variables: { userId: client.userId, after } } }),
          );
          if (client.forum) socket.send(JSON.stringify({ type: 'subscribe', id: 'f', payload: { query: SOAK_FORUM_SUBSCRIPTION, variables: { forumId } } }));
          client.state = 'online';
          if (mode === 'churning') schedule(client, uniform(plan!.onlineMs), leave);
          return answer('subscribed');
        }
        case 'next':
          if (message.id === 'n') return onNotification(client, message.payload);
          counters.forumReceived += 1;
          return;
        case 'ping':
          return socket.send(JSON.stringify({ type: 'pong' }));
        case 'pong':
          return;
        default:
          counters.protocolErrors += 1;
          return noteError(`${message.type ?? 'untyped'} message on ${message.id ?? 'the connection'}: ${JSON.stringify(message.payload).slice(0, 200)}`);
      }
    });
    socket.on('error', (error) => {
      if (client.socket === socket && client.state !== 'leaving') noteError(`socket error (${client.state}): ${error.message}`);
    });
    socket.on('close', (code, reason) => {
      if (client.socket !== socket) return;
      const was = client.state;
      client.socket = undefined;
      client.state = 'away';
      if (was === 'connecting') {
        counters.connectFailures += 1;
        noteError(`connect failed: ${code} ${String(reason)}`);
        answer(`closed ${code} ${String(reason)}`);
        if (mode !== 'still') schedule(client, RETRY_AFTER_FAILURE_MS, comeBackLater);
        return;
      }
      if (was === 'online') {
        counters.serverCloses += 1;
        noteError(`closed by the service: ${code} ${String(reason)}`);
      }
      if (mode === 'churning') schedule(client, was === 'online' ? RETRY_AFTER_FAILURE_MS : uniform(plan!.awayMs), comeBackLater);
      else if (mode === 'settling') void comeBack(client);
    });
  });
}

const comeBackLater = (client: SoakClient) => void comeBack(client);

/** The client leaves: a clean close, or the TCP connection dropped with no close frame. */
function leave(client: SoakClient): void {
  const socket = client.socket;
  if (!socket || client.state !== 'online') return;
  client.state = 'leaving';
  if (Math.random() < plan!.cleanCloseShare) {
    counters.cleanCloses += 1;
    socket.close(1000, 'soak: leaving');
    setTimeout(() => socket.terminate(), 5_000).unref();
  } else {
    counters.abruptCloses += 1;
    socket.terminate();
  }
}

async function connectAll(request: Extract<SoakRequest, { type: 'connectAll' }>): Promise<ConnectAllReply> {
  target = { wsUrl: request.wsUrl, forumId: request.forumId, localAddress: request.localAddress };
  const signToken = userTokenSigner(request.jwtSecret);
  // Everyone connects the first time a bounded number at a time (as client-worker.ts).
  const { subscribed, failures } = await connectInLanes(
    request.users,
    async ({ userId, forum }) => {
      const token = await signToken(userId);
      const client: SoakClient = { userId, forum, token, lastId: undefined, received: [], socket: undefined, state: 'away', timer: undefined };
      clients.set(userId, client);
      return comeBack(client);
    },
    MAX_SAMPLES_KEPT,
  );
  return { requested: request.users.length, subscribed, failures };
}

function startChurn(churn: ChurnPlan): void {
  plan = churn;
  mode = 'churning';
  // The first leave anywhere in [0, the longest stay], so that the clients do not leave in step.
  for (const client of clients.values()) {
    if (client.state === 'online') schedule(client, Math.random() * churn.onlineMs[1], leave);
    else if (client.state === 'away') schedule(client, RETRY_AFTER_FAILURE_MS, comeBackLater);
  }
}

function settle(lastIds: Readonly<Record<string, string>>, timeoutMs: number): Promise<SettleReply> {
  mode = 'settling';
  awaitedLast.clear();
  for (const [userId, id] of Object.entries(lastIds)) if (!clients.get(userId)?.received.includes(id)) awaitedLast.set(userId, id);
  for (const client of clients.values()) {
    clearTimeout(client.timer);
    client.timer = undefined;
    if (client.state === 'away') void comeBack(client);
    // `leaving` clients come back from their close handler; `connecting` ones are on their way.
  }
  const answer = (): SettleReply => ({
    settled: Object.keys(lastIds).length - awaitedLast.size,
    pending: [...awaitedLast.keys()].slice(0, MAX_SAMPLES_KEPT),
    pendingCount: awaitedLast.size,
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      onAllSettled = undefined;
      resolve(answer());
    }, timeoutMs);
    onAllSettled = () => {
      clearTimeout(timer);
      onAllSettled = undefined;
      resolve(answer());
    };
    if (awaitedLast.size === 0) onAllSettled();
  });
}

function collect(): CollectReply {
  const received: Record<string, readonly string[]> = {};
  for (const client of clients.values()) received[client.userId] = client.received;
  return { received, counters: { ...counters, errorSamples } satisfies SoakCounters };
}

async function disconnectAll(): Promise<number> {
  mode = 'still';
  const open = [...clients.values()].filter((client) => client.socket);
  await Promise.all(
    open.map((client) => {
      clearTimeout(client.timer);
      const socket = client.socket!;
      client.state = 'leaving';
      return closeSocket(socket, 'soak done');
    }),
  );
  return open.length;
}

async function handle(request: SoakRequest): Promise<unknown> {
  switch (request.type) {
    case 'connectAll':
      return connectAll(request);
    case 'startChurn':
      return startChurn(request.plan);
    case 'settle':
      return settle(request.lastIds, request.timeoutMs);
    case 'collect':
      return collect();
    case 'disconnectAll':
      return disconnectAll();
  }
}

answerParent(handle);
