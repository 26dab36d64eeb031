import { postGraphQL } from '../utils/http';
import { FORUM_ACTIVITY_SUBSCRIPTION, PUBLISH_FORUM_ACTIVITY } from '../utils/operations';
import { PUBLISHER_TOKEN, startTestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { connectClient } from '../utils/ws-client';

describe('a subscription shared by several users (WebSocket fan-out)', () => {
  it('goes on for the others when the token of the user who started it expires', async () => {
    const app = await startTestApp();
    const first = connectClient(app.wsUrl, `Bearer ${await userToken('801', { expiresInSeconds: 2 })}`);
    const second = connectClient(app.wsUrl, `Bearer ${await userToken('802')}`);
    const live = app.expectSubscriptions('forumActivity', 2);
    first.subscribe(FORUM_ACTIVITY_SUBSCRIPTION, { forumId: 'f801' }); // starts the shared execution
    const seen = second.subscribe<{ forumActivity: { title: string } }>(FORUM_ACTIVITY_SUBSCRIPTION, { forumId: 'f801' });
    await live();

    expect((await first.closed).code).toBe(4403);
    await postGraphQL(app.url, PUBLISH_FORUM_ACTIVITY, { input: { kind: 'POST_CREATED', forumId: 'f801', title: 'after the expiry' } }, PUBLISHER_TOKEN);

    expect((await seen.next()).data?.forumActivity.title).toBe('after the expiry');
  });
});
