import { serverAudits } from 'graphql-http';
import { startTestApp, type TestApp } from '../utils/test-app';
import { connectClient } from '../utils/ws-client';

/**
 * graphql-http's audit of the GraphQL-over-HTTP spec against the service as it runs: armor
 * limits, GraphiQL, the publisher token and the HTTP mutation fast path all in place.
 */
describe('the GraphQL-over-HTTP audit (graphql-http serverAudits)', () => {
  let service: TestApp;
  beforeAll(async () => {
    service = await startTestApp({ GRAPHIQL: 'true' });
  });
  afterAll(() => service.stop());

  for (const audit of serverAudits({ url: () => service.url })) {
    it(`${audit.id} ${audit.name}`, async () => {
      const result = await audit.fn();
      expect({ status: result.status, reason: 'reason' in result ? result.reason : undefined }).toEqual({ status: 'ok', reason: undefined });
    });
  }

  const parseFailureStatus = async (query: string) => {
    const response = await fetch(service.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query }),
    });
    return { status: response.status, body: await response.json() };
  };
  const refused = { status: 400, body: { errors: [{ message: expect.stringContaining('Syntax Error'), extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] } };

  it('answers a document that does not parse with 400 even when the WebSocket met it first', async () => {
    const broken = connectClient(service.wsUrl).subscribe('subscription { forumActivity { id ', {});
    expect(await broken.failure()).toMatchObject([{ extensions: { code: 'GRAPHQL_PARSE_FAILED' } }]);
    expect(await parseFailureStatus('subscription { forumActivity { id ')).toMatchObject(refused);
  });

  it('answers a document that does not parse with 400 even when a plain JSON POST (the mutation fast path) met it first', async () => {
    const first = await fetch(service.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation { 1' }),
    });
    expect(first.status).toBe(200);
    expect(await parseFailureStatus('mutation { 1')).toMatchObject(refused);
  });
});
