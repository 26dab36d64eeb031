/**
 * The floor: what the benchmark's load costs with no GraphQL at all, on the same machine, so
 * that the service's figures can be read as ratios (the "raw `ws`, no GraphQL" column).
 * It speaks just enough of graphql-ws for the benchmark's clients (connection_init, subscribe,
 * complete, ping) and takes the benchmark's three mutations as plain JSON: no parsing, no
 * validation, no authentication, no replay, no heartbeat. Each event goes through Redis
 * (per-user and per-forum channels, as the service does) and is serialized once for every
 * socket that receives it. /metrics answers the three series the benchmark reads.
 *
 *   PORT=4010 REDIS_URL=redis://127.0.0.1:6379 node --import tsx bench/floor-server.ts
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Redis } from 'ioredis';
import { Gauge, Registry } from 'prom-client';
import { WebSocketServer, type WebSocket } from 'ws';
import { registerLoopDelayMax } from '../src/observability/loop-delay';

interface Bus {
  publish(channel: string, message: string): Promise<unknown>;
  subscribe(channel: string, onMessage: (message: string) => void): Promise<unknown>;
}

function redisBus(url: string): Bus {
  const publisher = new Redis(url);
  const subscriber = new Redis(url);
  const handlers = new Map<string, (message: string) => void>();
  subscriber.on('message', (channel: string, message: string) => handlers.get(channel)?.(message));
  return {
    publish: (channel, message) => publisher.publish(channel, message),
    subscribe: (channel, onMessage) => {
      handlers.set(channel, onMessage);
      return subscriber.subscribe(channel);
    },
  };
}

function memoryBus(): Bus {
  const emitter = new EventEmitter().setMaxListeners(0);
  return {
    publish: async (channel, message) => queueMicrotask(() => emitter.emit(channel, message)),
    subscribe: async (channel, onMessage) => emitter.on(channel, onMessage),
  };
}

const prefix = process.env['REDIS_KEY_PREFIX'] ?? 'floor:';
const bus = process.env['REDIS_URL'] ? redisBus(process.env['REDIS_URL']) : memoryBus();

type Field = 'notification' | 'forumActivity';
/** A socket's subscriptions by id. */
type Subscriptions = Map<string, { channel: string; field: Field }>;
/** Per channel: the sockets and the subscription id each gave it. */
const audiences = new Map<string, Map<WebSocket, string>>();
const channelReady = new Map<string, Promise<unknown>>();
const live: Record<Field, number> = { notification: 0, forumActivity: 0 };
const delivered: Record<Field, number> = { notification: 0, forumActivity: 0 };

function deliver(channel: string, field: Field, message: string): void {
  const audience = audiences.get(channel);
  if (!audience) return;
  // Encoded once per subscription id, as the service does: a string would be encoded per socket.
  const frames = new Map<string, Buffer>();
  for (const [socket, id] of audience) {
    let frame = frames.get(id);
    if (frame === undefined) frames.set(id, (frame = Buffer.from(`{"type":"next","id":${JSON.stringify(id)},"payload":{"data":{"${field}":${message}}}}`)));
    socket.send(frame);
    delivered[field] += 1;
  }
}

/** Counts the subscription live once its channel's Redis subscription is confirmed. */
async function join(socket: WebSocket, subscriptions: Subscriptions, id: string, field: Field, channel: string): Promise<void> {
  let audience = audiences.get(channel);
  if (!audience) {
    audiences.set(channel, (audience = new Map<WebSocket, string>()));
    channelReady.set(
      channel,
      bus.subscribe(channel, (message) => deliver(channel, field, message)),
    );
  }
  audience.set(socket, id);
  subscriptions.set(id, { channel, field });
  await channelReady.get(channel);
  if (audience.get(socket) === id) live[field] += 1;
}

function leave(socket: WebSocket, subscriptions: Subscriptions, id: string): void {
  const subscription = subscriptions.get(id);
  if (subscription === undefined) return;
  subscriptions.delete(id);
  if (audiences.get(subscription.channel)?.delete(socket)) live[subscription.field] -= 1;
}

function onSocket(socket: WebSocket): void {
  const subscriptions: Subscriptions = new Map();
  socket.on('message', (raw) => {
    let message: { type: string; id?: string; payload?: { variables?: Record<string, string> } };
    try {
      message = JSON.parse(String(raw)) as typeof message;
    } catch {
      return socket.close(4400, 'Invalid message received');
    }
    const variables = message.payload?.variables ?? {};
    if (message.type === 'connection_init') socket.send('{"type":"connection_ack"}');
    else if (message.type === 'ping') socket.send('{"type":"pong"}');
    else if (message.type === 'complete') leave(socket, subscriptions, message.id ?? '');
    else if (message.type === 'subscribe' && variables['userId'] !== undefined)
      void join(socket, subscriptions, message.id ?? '', 'notification', `${prefix}user:${variables['userId']}`);
    else if (message.type === 'subscribe') void join(socket, subscriptions, message.id ?? '', 'forumActivity', `${prefix}forum:${variables['forumId']}`);
  });
  socket.on('close', () => {
    for (const id of [...subscriptions.keys()]) leave(socket, subscriptions, id);
  });
}

let nextId = 0;

/** Publishes one notification or forum event from the benchmark's input; resolves with its id. */
async function publish(input: Record<string, unknown>): Promise<{ id: string; publishedAt: string }> {
  const id = String(++nextId);
  const publishedAt = new Date().toISOString();
  if (typeof input['forumId'] === 'string') {
    await bus.publish(`${prefix}forum:${input['forumId']}`, JSON.stringify({ id, excerpt: null, url: null, occurredAt: publishedAt, ...input }));
  } else {
    await bus.publish(`${prefix}user:${String(input['userId'])}`, JSON.stringify({ id, body: null, url: null, createdAt: publishedAt, ...input }));
  }
  return { id, publishedAt };
}

async function answerMutation(request: IncomingMessage, response: ServerResponse): Promise<void> {
  let body = '';
  for await (const chunk of request) body += chunk;
  const { query, variables } = JSON.parse(body) as { query: string; variables: { input?: Record<string, unknown>; inputs?: Array<Record<string, unknown>> } };
  const field = /\{\s*(\w+)\s*\(/.exec(query)?.[1] ?? 'publish';
  const data = variables.inputs ? await Promise.all(variables.inputs.map(publish)) : await publish(variables.input ?? {});
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { [field]: data } }));
}

const registry = new Registry();
registerLoopDelayMax(registry);
for (const [name, counts] of [
  ['realtime_active_subscriptions', live],
  ['realtime_events_delivered_total', delivered],
] as const) {
  new Gauge({
    name,
    help: name,
    labelNames: ['field'],
    registers: [registry],
    collect() {
      for (const field of ['notification', 'forumActivity'] as const) this.set({ field }, counts[field]);
    },
  });
}

const server = createServer((request, response) => {
  if (request.method === 'POST') {
    answerMutation(request, response).catch((error: Error) => response.writeHead(400).end(error.message));
  } else if (request.url === '/metrics') {
    void registry.metrics().then((text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text));
  } else {
    response.writeHead(request.url === '/readyz' || request.url === '/healthz' ? 200 : 404).end();
  }
});
new WebSocketServer({ server, path: '/graphql', perMessageDeflate: false }).on('connection', onSocket);
server.listen(Number(process.env['PORT'] ?? 4010), process.env['HOST'] ?? '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
