// The live page, on @mechamap/realtime-client's React hooks; bundled by serve.ts with esbuild.
import { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { createRealtimeClient } from '@mechamap/realtime-client';
import { RealtimeProvider, useConnectionState, useNotifications, useThreadViewers, useTyping } from '@mechamap/realtime-client/react';

const graphqlUrl = new URLSearchParams(location.search).get('graphql') ?? `ws://${location.hostname}:4000/graphql`;

/** The `sub` claim of a JWT, read without checking it: the server checks it. */
function userIdOf(token: string): string | null {
  try {
    const claims = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { sub?: unknown };
    return typeof claims.sub === 'string' || typeof claims.sub === 'number' ? String(claims.sub) : null;
  } catch {
    return null;
  }
}

function signIn(token: string) {
  return { me: token ? userIdOf(token) : null, client: createRealtimeClient({ url: graphqlUrl, getToken: () => token || null }) };
}

const STATUS = { connecting: 'connecting…', connected: 'connected', reconnecting: 'reconnecting…', offline: 'offline: waiting for the network' };

function ConnectionStatus() {
  const state = useConnectionState();
  return (
    <span id="status" data-state={state}>
      {STATUS[state]}
    </span>
  );
}

function Notifications({ me }: { me: string | null }) {
  const notifications = useNotifications(me);
  return (
    <section>
      <h2>Notifications</h2>
      <ul id="notifications">
        {notifications.map((notification) => (
          <li key={notification.id} data-id={notification.id}>
            <strong>{notification.title}</strong>
            <br />
            <small>
              {notification.body ?? notification.type} · {new Date(notification.createdAt).toLocaleTimeString()}
            </small>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Thread({ me }: { me: string | null }) {
  const [draft, setDraft] = useState('1');
  const [threadId, setThreadId] = useState('1');
  const viewers = useThreadViewers(threadId);
  const { typing, sayTyping } = useTyping(me ? threadId : null); // typing is for signed-in users
  const names = typing.map((id) => `user ${id}`);
  return (
    <section>
      <h2>Thread</h2>
      <input id="thread" aria-label="thread id" value={draft} onChange={(event) => setDraft(event.target.value)} />
      <button id="join" onClick={() => setThreadId(draft.trim() || '1')}>
        Open thread
      </button>
      <p>
        <strong id="viewer-count">{viewers?.count ?? 0}</strong> reading now
      </p>
      <ul id="viewers">
        {viewers?.viewers.map(({ id }) => (
          <li key={id} data-id={id} className={id === me ? 'me' : undefined}>
            user {id}
          </li>
        ))}
      </ul>
      <p id="typing">{names.length ? `${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} typing…` : ''}</p>
      <textarea id="reply" rows={3} placeholder="Write a reply: the others see that you are typing" disabled={!me} onInput={sayTyping} />
    </section>
  );
}

function App() {
  const [token, setToken] = useState('');
  const [session, setSession] = useState(() => signIn(''));
  useEffect(() => () => void session.client.dispose(), [session]);
  return (
    <RealtimeProvider client={session.client}>
      <header>
        <h1>MechaMap Realtime</h1>
        <ConnectionStatus />
      </header>
      <main>
        <section className="wide">
          <h2>Sign in</h2>
          <textarea
            id="token"
            rows={2}
            placeholder="Paste a user token (npm start prints one for user 1)"
            value={token}
            onChange={(event) => setToken(event.target.value)}
          />
          <button id="sign-in" onClick={() => setSession(signIn(token.trim()))}>
            Sign in
          </button>{' '}
          <span id="who">{session.me ? `signed in as user ${session.me}` : 'anonymous'}</span>
        </section>
        <Thread me={session.me} />
        <Notifications me={session.me} />
      </main>
    </RealtimeProvider>
  );
}

createRoot(document.getElementById('root')!).render(<App />);
