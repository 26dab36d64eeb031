import { postGraphQL } from '../utils/http';
import { PUBLISH_FORUM_ACTIVITY } from '../utils/operations';
import { isolatedPrefix, REDIS_URL } from '../utils/redis';
import { PUBLISHER_TOKEN, startTestApp } from '../utils/test-app';
import { connectClient } from '../utils/ws-client';

const SUBSCRIBERS = 1200;

describe('a broadcast to more sockets than are written in one turn of the event loop', () => {
  it(`reaches all ${SUBSCRIBERS} subscribers of one shared execution, each in publish order`, async () => {
    const server = await startTestApp({ REDIS_URL, REDIS_KEY_PREFIX: isolatedPrefix() });
    const live = server.expectSubscriptions('forumActivity', SUBSCRIBERS);
    const subscriptions = Array.from({ length: SUBSCRIBERS }, () =>
      connectClient(server.wsUrl).subscribe<{ forumActivity: { title: string } }>('subscription { forumActivity(forumId: "big") { title } }'),
    );
    await live();
    const titles = ['first', 'second', 'third'];
    for (const title of titles) {
      await postGraphQL(server.url, PUBLISH_FORUM_ACTIVITY, { input: { kind: 'POST_CREATED', forumId: 'big', title } }, PUBLISHER_TOKEN);
    }
    const received = await Promise.all(
      subscriptions.map(async (subscription) => {
        const seen = [];
        for (let index = 0; index < titles.length; index += 1) seen.push((await subscription.next()).data!.forumActivity.title);
        return seen.join(',');
      }),
    );
    expect(new Set(received)).toEqual(new Set([titles.join(',')]));
  }, 60_000);
});
