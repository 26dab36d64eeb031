import { postGraphQL } from '../utils/http';
import { NOTIFICATION_SUBSCRIPTION, PUBLISH_NOTIFICATION } from '../utils/operations';
import { BUSES } from '../utils/redis';
import { PUBLISHER_TOKEN, startTestApp, type TestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { transportsAndBuses } from '../utils/transports';
import { failureCodes } from '../utils/ws-client';

const VIEWERS = /* GraphQL */ `
  subscription Viewers($threadId: ID!) {
    threadViewers(threadId: $threadId) {
      count
    }
  }
`;
const TYPING = /* GraphQL */ `
  subscription Typing($threadId: ID!) {
    typing(threadId: $threadId) {
      userId
    }
  }
`;
const SET_VISIBILITY = /* GraphQL */ `
  mutation Visibility($threadId: ID!, $visibility: Visibility!) {
    setThreadVisibility(threadId: $threadId, visibility: $visibility)
  }
`;

// Who may subscribe to what, and for how long, decided once by the subscription pipeline: the
// same answers whichever transport carries the subscription.
describe.each(transportsAndBuses(BUSES))('who may subscribe, over $transport.name on the $bus.name bus', ({ transport, bus }) => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp(bus.env());
  });

  const publish = (userId: string, title: string) => postGraphQL(server.url, PUBLISH_NOTIFICATION, { input: { userId, type: 't', title } }, PUBLISHER_TOKEN);

  it('refuses anonymous subscribers with UNAUTHENTICATED and other users, staff included, with FORBIDDEN', async () => {
    const anonymous = transport.connect(server).subscribe(NOTIFICATION_SUBSCRIPTION, { userId: '45' });
    expect(failureCodes(await anonymous.failure())).toEqual(['UNAUTHENTICATED']);
    const stranger = transport.connect(server, await userToken(46)).subscribe(NOTIFICATION_SUBSCRIPTION, { userId: '45' });
    expect(failureCodes(await stranger.failure())).toEqual(['FORBIDDEN']);
    const staff = transport.connect(server, await userToken(47, { roles: ['admin'] })).subscribe(NOTIFICATION_SUBSCRIPTION, { userId: '45' });
    expect(failureCodes(await staff.failure())).toEqual(['FORBIDDEN']);
  });

  it("shows a thread's readers and typists only to those its visibility allows", async () => {
    const thread = `t-${Math.random()}`;
    expect(failureCodes(await transport.connect(server).subscribe(TYPING, { threadId: thread }).failure())).toEqual(['UNAUTHENTICATED']);
    await postGraphQL(server.url, SET_VISIBILITY, { threadId: thread, visibility: 'STAFF' }, PUBLISHER_TOKEN);
    const member = transport.connect(server, await userToken('301'));
    expect(failureCodes(await member.subscribe(VIEWERS, { threadId: thread }).failure())).toEqual(['FORBIDDEN']);
    expect(failureCodes(await member.subscribe(TYPING, { threadId: thread }).failure())).toEqual(['FORBIDDEN']);
    expect(failureCodes(await transport.connect(server).subscribe(VIEWERS, { threadId: thread }).failure())).toEqual(['UNAUTHENTICATED']);
    const moderator = transport.connect(server, await userToken('302', { roles: ['moderator'] }));
    expect(await moderator.subscribe(VIEWERS, { threadId: thread }).next()).toEqual({ data: { threadViewers: { count: 1 } } });
  });

  it("ends a subscription when its user's token expires, and only that one", async () => {
    const live = server.expectSubscriptions('notification', 2);
    // JWT expiries count whole seconds: 3 s leaves time to go live first even on a busy machine.
    const expiring = transport
      .connect(server, await userToken(12, { expiresInSeconds: 3 }))
      .subscribe<{ notification: { title: string } }>(NOTIFICATION_SUBSCRIPTION, { userId: '12' });
    const lasting = transport.connect(server, await userToken(12)).subscribe<{ notification: { title: string } }>(NOTIFICATION_SUBSCRIPTION, { userId: '12' });
    await live();
    await publish('12', 'before expiry');
    expect(await expiring.next()).toMatchObject({ data: { notification: { title: 'before expiry' } } });
    await expect(expiring.next()).rejects.toBeDefined();
    await publish('12', 'after expiry');
    expect(await lasting.next()).toMatchObject({ data: { notification: { title: 'before expiry' } } });
    expect(await lasting.next()).toMatchObject({ data: { notification: { title: 'after expiry' } } });
  });
});
