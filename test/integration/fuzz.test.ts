import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { postGraphQL } from '../utils/http';
import { NOTIFICATION_SUBSCRIPTION, PUBLISH_NOTIFICATION } from '../utils/operations';
import { openRawSocket } from '../utils/raw-socket';
import { startServiceProcess, waitForLiveSubscriptions } from '../utils/service-process';
import { PUBLISHER_TOKEN } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { connectClient } from '../utils/ws-client';

const RUNS = 300;

/** Valid documents, then the same with characters dropped, duplicated or swapped at random. */
const VALID_QUERIES = [
  NOTIFICATION_SUBSCRIPTION,
  'subscription { forumActivity(forumId: "1", kinds: [POST_CREATED]) { id kind title data } }',
  '{ viewer { id roles } }',
  'mutation { publishNotification(input: {userId: "1", type: "t", title: "x"}) { id } }',
];
const mutatedQuery = fc
  .tuple(fc.constantFrom(...VALID_QUERIES), fc.array(fc.tuple(fc.nat(), fc.constantFrom('drop', 'double', 'brace', 'quote')), { maxLength: 4 }))
  .map(([query, edits]) =>
    edits.reduce((text, [position, edit]) => {
      const at = position % (text.length + 1);
      if (edit === 'drop') return text.slice(0, at) + text.slice(at + 1);
      if (edit === 'double') return text.slice(0, at) + text.slice(at, at + 8) + text.slice(at);
      return text.slice(0, at) + (edit === 'brace' ? '{' : '"') + text.slice(at);
    }, query),
  );

const message = fc.record(
  {
    type: fc.oneof(fc.constantFrom('connection_init', 'subscribe', 'complete', 'ping', 'pong', 'next', 'error'), fc.string()),
    id: fc.oneof(fc.constantFrom('1', '2'), fc.string(), fc.integer()),
    payload: fc.oneof(
      fc.record({ query: fc.oneof(mutatedQuery, fc.string()), variables: fc.oneof(fc.constant({ userId: '1' }), fc.jsonValue()) }, { requiredKeys: [] }),
      fc.jsonValue(),
    ),
  },
  { requiredKeys: [] },
);

const frame = fc.oneof(
  message.map((value) => JSON.stringify(value)),
  fc.string(),
  fc.json(),
  fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)),
);

/** Sometimes start with a proper connection_init, so that later frames reach the operations. */
const session = fc.tuple(fc.boolean(), fc.array(frame, { minLength: 1, maxLength: 6 }));

const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

describe('malformed and mutated graphql-ws traffic', () => {
  it(`never kills the process or disturbs a well-behaved client, over ${RUNS} random sessions`, async () => {
    const service = await startServiceProcess({});
    const pid = service.child.pid!;
    const bystander = connectClient(service.wsUrl, `Bearer ${await userToken(1)}`).subscribe<{ notification: { title: string } }>(NOTIFICATION_SUBSCRIPTION, {
      userId: '1',
    });
    await waitForLiveSubscriptions(service.origin, 'notification', 1);
    const baseline = rssOf(pid);

    let round = 0;
    await fc.assert(
      fc.asyncProperty(session, async ([initFirst, frames]) => {
        const raw = await openRawSocket(service.wsUrl);
        if (initFirst) raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${await userToken(1)}` } });
        for (const data of frames) raw.send(data);
        raw.socket.close();
        await raw.closed;
        // Between sessions, the bystander still gets what is published to it.
        round += 1;
        if (round % 50 === 0) {
          await postGraphQL(service.url, PUBLISH_NOTIFICATION, { input: { userId: '1', type: 't', title: `round ${round}` } }, PUBLISHER_TOKEN);
          let title;
          do title = (await bystander.next()).data!.notification.title;
          while (title !== `round ${round}`);
        }
      }),
      { numRuns: RUNS },
    );

    expect(service.child.exitCode).toBeNull();
    expect((await fetch(`${service.origin}/healthz`)).status).toBe(200);
    await postGraphQL(service.url, PUBLISH_NOTIFICATION, { input: { userId: '1', type: 't', title: 'after the fuzz' } }, PUBLISHER_TOKEN);
    let title;
    do title = (await bystander.next()).data!.notification.title;
    while (title !== 'after the fuzz');
    await waitForLiveSubscriptions(service.origin, 'notification', 1);
    expect(rssOf(pid) - baseline).toBeLessThan(64 * 1024 * 1024);
  }, 120_000);
});
