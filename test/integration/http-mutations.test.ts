import { MAX_REQUEST_BODY_BYTES } from '../../src/graphql/use-request-body-limit';
import { NOTIFICATION_SUBSCRIPTION, PUBLISH_NOTIFICATION, PUBLISH_NOTIFICATIONS } from '../utils/operations';
import { scrape, valueOf } from '../utils/prometheus-text';
import { PUBLISHER_TOKEN, startTestApp, type TestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { connectClient } from '../utils/ws-client';

/**
 * Mutations sent as Laravel sends them take a direct path to Yoga's GraphQL pipeline; every
 * other request goes through Yoga's HTTP handling. A query string keeps a request off the
 * direct path, so each case is sent both ways and must get the same answer.
 */
interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const VARYING_HEADERS = new Set(['date', 'connection', 'keep-alive']);

/** Publish ids and times differ from call to call; everything else must not. */
const withoutVaryingValues = (body: string) => body.replace(/"id":"\d+-\d+"/g, '"id":"<id>"').replace(/"publishedAt":"[^"]+"/g, '"publishedAt":"<time>"');

async function send(url: string, init: { body: string; headers: Record<string, string> }): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', ...init });
  const headers = Object.fromEntries([...response.headers].filter(([name]) => !VARYING_HEADERS.has(name)));
  return { status: response.status, headers, body: withoutVaryingValues(await response.text()) };
}

const publisher = { 'content-type': 'application/json', authorization: `Bearer ${PUBLISHER_TOKEN}` };
const json = (value: unknown) => JSON.stringify(value);
const publish = (input: Record<string, unknown>) => json({ query: PUBLISH_NOTIFICATION, variables: { input } });

// One service and one member for the whole file: no case changes either.
let server: TestApp;
let memberToken: string;
beforeAll(async () => {
  server = await startTestApp();
  memberToken = await userToken(7);
});

describe('mutations over HTTP answer the same on the direct path and through Yoga', () => {
  const cases: ReadonlyArray<[string, () => { body: string; headers: Record<string, string> }]> = [
    ['a publish', () => ({ body: publish({ userId: '1', type: 't', title: 'hi' }), headers: publisher })],
    [
      'a publish with Accept: application/json',
      () => ({ body: publish({ userId: '1', type: 't', title: 'hi' }), headers: { ...publisher, accept: 'application/json' } }),
    ],
    ['a publish with Accept: */*', () => ({ body: publish({ userId: '1', type: 't', title: 'hi' }), headers: { ...publisher, accept: '*/*' } })],
    [
      'a publish asking for application/graphql-response+json',
      () => ({ body: publish({ userId: '1', type: 't', title: 'hi' }), headers: { ...publisher, accept: 'application/graphql-response+json' } }),
    ],
    [
      'a batch publish',
      () => ({
        body: json({
          query: PUBLISH_NOTIFICATIONS,
          variables: {
            inputs: [
              { userId: '1', type: 't', title: 'a' },
              { userId: '2', type: 't', title: 'b' },
            ],
          },
        }),
        headers: publisher,
      }),
    ],
    [
      'a publish without a token (FORBIDDEN)',
      () => ({ body: publish({ userId: '1', type: 't', title: 'hi' }), headers: { 'content-type': 'application/json' } }),
    ],
    [
      'a publish with a member’s token (FORBIDDEN)',
      () => ({
        body: publish({ userId: '1', type: 't', title: 'hi' }),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${memberToken}` },
      }),
    ],
    [
      'a publish with a forged token (401)',
      () => ({ body: publish({ userId: '1', type: 't', title: 'hi' }), headers: { 'content-type': 'application/json', authorization: 'Bearer forged' } }),
    ],
    ['a blank field (BAD_USER_INPUT)', () => ({ body: publish({ userId: ' ', type: 't', title: 'hi' }), headers: publisher })],
    ['a variable of the wrong shape (BAD_USER_INPUT)', () => ({ body: publish({ userId: '1', type: 't' }), headers: publisher })],
    [
      'an inline publish, operation chosen by name',
      () => ({
        body: json({
          query:
            'mutation A { publishNotification(input: {userId: "1", type: "t", title: "a"}) { id } } mutation B { publishNotification(input: {userId: "2", type: "t", title: "b"}) { id publishedAt } }',
          operationName: 'B',
        }),
        headers: publisher,
      }),
    ],
    [
      'two operations and no name',
      () => ({
        body: json({
          query:
            'mutation A { publishNotification(input: {userId: "1", type: "t", title: "a"}) { id } } mutation B { publishNotification(input: {userId: "2", type: "t", title: "b"}) { id } }',
        }),
        headers: publisher,
      }),
    ],
    [
      'a document that does not validate',
      () => ({ body: json({ query: 'mutation { publishNotification(input: {userId: "1", type: "t", title: "a"}) { nope } }' }), headers: publisher }),
    ],
    ['a document that does not parse', () => ({ body: json({ query: 'mutation { publishNotification(' }), headers: publisher })],
    ['a query', () => ({ body: json({ query: '{ __typename }' }), headers: publisher })],
    ['a body that is not JSON', () => ({ body: '{"query": ', headers: publisher })],
    ['a batch of operations (an array)', () => ({ body: json([{ query: '{ __typename }' }]), headers: publisher })],
    [
      'an unknown request parameter',
      () => ({ body: json({ query: PUBLISH_NOTIFICATION, variables: { input: { userId: '1', type: 't', title: 'a' } }, unknown: 1 }), headers: publisher }),
    ],
    ['variables that are not an object', () => ({ body: json({ query: PUBLISH_NOTIFICATION, variables: [1] }), headers: publisher })],
    [
      'a browser’s cross-origin publish',
      () => ({ body: publish({ userId: '1', type: 't', title: 'hi' }), headers: { ...publisher, origin: 'http://forum.example' } }),
    ],
    ['an empty body', () => ({ body: '', headers: publisher })],
  ];

  it.each(cases)('%s', async (_name, make) => {
    const direct = await send(server.url, make());
    const throughYoga = await send(`${server.url}?`, make());
    expect(direct).toEqual(throughYoga);
  });

  it('still refuses a body over the limit with 413', async () => {
    const body = publish({ userId: '1', type: 't', title: 'x'.repeat(MAX_REQUEST_BODY_BYTES) });
    const answer = await send(server.url, { body, headers: publisher });
    expect(answer.status).toBe(413);
  });
});

/**
 * The publisher's mutations run compiled (graphql-jit); variables that do not coerce are
 * answered by graphql-js, so the publisher reads the same words as any other caller, whose
 * mutations graphql-js runs (the error comes before any resolver, so before FORBIDDEN).
 */
describe('a publisher’s bad input is reported as graphql-js reports it', () => {
  const badInputs: ReadonlyArray<[string, string]> = [
    ['a required field missing', publish({ userId: '1', type: 't' })],
    ['a field of the wrong type, nested', publish({ userId: { a: 1 }, type: 't', title: 'x' })],
    ['a field the input type does not have', publish({ userId: '1', type: 't', title: 'x', extra: 1 })],
    ['a null input', publish(null as unknown as Record<string, unknown>)],
    ['no input at all', json({ query: PUBLISH_NOTIFICATION, variables: {} })],
    ['a batch with a null element', json({ query: PUBLISH_NOTIFICATIONS, variables: { inputs: [null] } })],
    [
      'a batch whose second input lacks its title',
      json({
        query: PUBLISH_NOTIFICATIONS,
        variables: {
          inputs: [
            { userId: '1', type: 't', title: 'a' },
            { userId: '2', type: 't' },
          ],
        },
      }),
    ],
  ];

  it.each(badInputs)('%s', async (_name, body) => {
    const asPublisher = await send(server.url, { body, headers: publisher });
    const asMember = await send(server.url, { body, headers: { 'content-type': 'application/json', authorization: `Bearer ${memberToken}` } });
    expect(asPublisher.body).toContain('"BAD_USER_INPUT"');
    expect(asPublisher).toEqual(asMember);
  });
});

/**
 * A publisher's mutation runs outside Yoga's pipeline; when its result has errors, the
 * pipeline's hooks make the answer from that result, without running the mutation again.
 */
describe('a publisher’s mutation with an error runs once', () => {
  it('publishes the fields that succeeded once, and answers as through Yoga', async () => {
    const live = server.expectSubscriptions('notification');
    const client = connectClient(server.wsUrl, `Bearer ${await userToken(51)}`);
    const subscription = client.subscribe<{ notification: { title: string } }>(NOTIFICATION_SUBSCRIPTION, { userId: '51' });
    await live();

    const partlyBlank = (title: string) =>
      json({
        query: `mutation { good: publishNotification(input: {userId: "51", type: "t", title: "${title}"}) { id } blank: publishNotification(input: {userId: " ", type: "t", title: "x"}) { id } }`,
      });
    const direct = await send(server.url, { body: partlyBlank('direct'), headers: publisher });
    const throughYoga = await send(`${server.url}?`, { body: partlyBlank('through Yoga'), headers: publisher });
    expect(direct.body).toContain('"BAD_USER_INPUT"');
    expect(direct).toEqual(throughYoga);

    await send(server.url, { body: publish({ userId: '51', type: 't', title: 'last' }), headers: publisher });
    const titles = [];
    for (let received = 0; received < 3; received += 1) titles.push((await subscription.next()).data?.notification.title);
    expect(titles).toEqual(['direct', 'through Yoga', 'last']);
    subscription.dispose();
  });
});

describe('a publisher’s mutation is counted once, on either path', () => {
  const outcomes = async (code: string) => valueOf(await scrape(server.origin), 'realtime_publish_outcomes_total', { field: 'publishNotification', code });

  it.each([
    ['OK', publish({ userId: '1', type: 't', title: 'counted' })],
    ['BAD_USER_INPUT', publish({ userId: '1', type: 't' })],
  ])('%s', async (code, body) => {
    const before = await outcomes(code);
    await send(server.url, { body, headers: publisher });
    expect(await outcomes(code)).toBe(before + 1);
    await send(`${server.url}?`, { body, headers: publisher });
    expect(await outcomes(code)).toBe(before + 2);
  });
});
