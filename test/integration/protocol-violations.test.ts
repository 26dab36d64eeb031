import WebSocket from 'ws';
import { postGraphQL } from '../utils/http';
import { FORUM_ACTIVITY_SUBSCRIPTION, NOTIFICATION_SUBSCRIPTION, PUBLISH_NOTIFICATION } from '../utils/operations';
import { PUBLISHER_TOKEN, startTestApp, type TestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { connectClient } from '../utils/ws-client';

/** A raw graphql-ws socket that sends whatever it is told, to see how the server closes it. */
async function rawSocket(wsUrl: string, frames: Array<string | Buffer>): Promise<{ code: number; reason: string }> {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  for (const frame of frames) socket.send(frame);
  return closed;
}

describe('graphql-ws protocol violations', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp({ WS_MAX_FRAME_BYTES: '65536' });
  });

  it.each([
    ['a frame that is not JSON', ['{not json'], 4400],
    ['a message of an unknown type', [JSON.stringify({ type: 'connection_init' }), JSON.stringify({ type: 'explode' })], 4400],
    ['a subscribe before connection_init', [JSON.stringify({ id: '1', type: 'subscribe', payload: { query: '{ viewer { id } }' } })], 4401],
    ['two connection_init messages', [JSON.stringify({ type: 'connection_init' }), JSON.stringify({ type: 'connection_init' })], 4429],
    ['a frame larger than WS_MAX_FRAME_BYTES', [Buffer.alloc(70_000, 'a')], 1009],
  ])('closes only the offending socket for %s', async (_case, frames, expectedCode) => {
    const live = server.expectSubscriptions('notification');
    const bystander = connectClient(server.wsUrl, `Bearer ${await userToken(20)}`).subscribe(NOTIFICATION_SUBSCRIPTION, { userId: '20' });
    await live();

    expect((await rawSocket(server.wsUrl, frames)).code).toBe(expectedCode);

    await postGraphQL(server.url, PUBLISH_NOTIFICATION, { input: { userId: '20', type: 't', title: 'still here' } }, PUBLISHER_TOKEN);
    expect(await bystander.next()).toMatchObject({ data: { notification: { title: 'still here' } } });
    bystander.dispose();
  });

  it('closes a socket that reuses the id of an operation still running with 4409', async () => {
    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    const acknowledged = new Promise((resolve) => socket.once('message', resolve));
    socket.send(JSON.stringify({ type: 'connection_init' }));
    expect(JSON.parse(String(await acknowledged))).toEqual({ type: 'connection_ack' });
    const subscribe = JSON.stringify({ id: '1', type: 'subscribe', payload: { query: FORUM_ACTIVITY_SUBSCRIPTION, variables: { forumId: 'f' } } });
    socket.send(subscribe);
    socket.send(subscribe);
    expect(await closed).toBe(4409);
  });

  it('answers a query that does not parse with an error, keeping the socket open', async () => {
    const client = connectClient(server.wsUrl);
    const broken = client.subscribe('subscription { forumActivity { id ', {});
    expect(await broken.failure()).toMatchObject([{ message: expect.stringContaining('Syntax Error') }]);
    const valid = client.subscribe<{ viewer: null }>('{ viewer { id } }');
    expect(await valid.next()).toEqual({ data: { viewer: null } });
  });
});
