// The live page: plain TypeScript in the browser, bundled by serve.ts with esbuild.
import { print } from 'graphql';
import type { Client } from 'graphql-ws';
import {
  NotificationsDocument,
  SayTypingDocument,
  ThreadViewersDocument,
  TypingDocument,
  type NotificationsSubscription,
  type ThreadViewersSubscription,
  type TypingSubscription,
} from '../generated/graphql';
import { createRealtimeSocket } from '../realtime-socket';

const $ = <Element extends HTMLElement>(id: string) => document.getElementById(id) as Element;
const graphqlUrl = new URLSearchParams(location.search).get('graphql') ?? `ws://${location.hostname}:4000/graphql`;

let socket: Client | undefined;
let me: string | null = null;
const stops: Array<() => void> = [];
let threadStops: Array<() => void> = [];

/** The `sub` claim of a JWT, read without checking it: the server checks it. */
function userIdOf(token: string): string | null {
  try {
    const claims = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { sub?: string | number };
    return claims.sub === undefined ? null : String(claims.sub);
  } catch {
    return null;
  }
}

function listen<Data>(document: Parameters<typeof print>[0], variables: Record<string, unknown>, onData: (data: Data) => void): () => void {
  return socket!.subscribe<Data>(
    { query: print(document), variables },
    {
      next: ({ data, errors }) => (errors ? setStatus(`error: ${errors.map((e) => e.message).join('; ')}`) : data && onData(data)),
      error: () => setStatus('subscription failed'),
      complete: () => {},
    },
  );
}

function setStatus(text: string): void {
  $('status').textContent = text;
}

function signIn(): void {
  for (const stop of [...stops, ...threadStops]) stop();
  stops.length = 0;
  threadStops = [];
  void socket?.dispose();
  const token = $<HTMLTextAreaElement>('token').value.trim();
  me = token ? userIdOf(token) : null;
  $('who').textContent = me ? `signed in as user ${me}` : 'anonymous';
  $('notifications').replaceChildren();
  socket = createRealtimeSocket({
    url: graphqlUrl,
    getToken: () => $<HTMLTextAreaElement>('token').value.trim() || null,
    refreshToken: () => {
      setStatus('token refused (4403): paste a new one and sign in again');
      return null;
    },
    onClosed: (code) => setStatus(`disconnected (${code}), reconnecting…`),
  });
  socket.on('connected', () => setStatus(`connected to ${graphqlUrl}`));
  if (me) {
    stops.push(
      listen<NotificationsSubscription>(NotificationsDocument, { userId: me }, ({ notification }) => {
        const item = document.createElement('li');
        item.dataset['id'] = notification.id;
        item.innerHTML = '<strong></strong><br><small></small>';
        item.querySelector('strong')!.textContent = notification.title;
        item.querySelector('small')!.textContent = `${notification.body ?? notification.type} · ${new Date(notification.createdAt).toLocaleTimeString()}`;
        $('notifications').prepend(item);
      }),
    );
  }
  openThread();
}

function openThread(): void {
  for (const stop of threadStops) stop();
  const threadId = $<HTMLInputElement>('thread').value.trim() || '1';
  const typing = new Map<string, ReturnType<typeof setTimeout>>();
  const showTyping = () => {
    const names = [...typing.keys()].map((id) => `user ${id}`);
    $('typing').textContent = names.length ? `${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} typing…` : '';
  };
  threadStops = [
    listen<ThreadViewersSubscription>(ThreadViewersDocument, { threadId }, ({ threadViewers }) => {
      $('viewer-count').textContent = String(threadViewers.count);
      $('viewers').replaceChildren(
        ...threadViewers.viewers.map(({ id }) => {
          const item = document.createElement('li');
          item.textContent = `user ${id}`;
          item.dataset['id'] = id;
          if (id === me) item.className = 'me';
          return item;
        }),
      );
    }),
  ];
  const reply = $<HTMLTextAreaElement>('reply');
  reply.disabled = !me;
  if (me) {
    threadStops.push(
      listen<TypingSubscription>(TypingDocument, { threadId }, ({ typing: event }) => {
        clearTimeout(typing.get(event.userId));
        typing.set(
          event.userId,
          setTimeout(() => (typing.delete(event.userId), showTyping()), 3_000),
        );
        showTyping();
      }),
    );
    let lastSent = 0;
    reply.oninput = () => {
      if (Date.now() - lastSent < 2_000) return; // the server would refuse it anyway
      lastSent = Date.now();
      const stop = listen(SayTypingDocument, { threadId }, () => stop());
    };
  }
}

$('sign-in').addEventListener('click', signIn);
$('join').addEventListener('click', openThread);
signIn();
