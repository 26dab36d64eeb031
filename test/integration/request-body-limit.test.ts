import { request } from 'node:http';
import { MAX_REQUEST_BODY_BYTES } from '../../src/graphql/use-request-body-limit';
import { PUBLISH_NOTIFICATION } from '../utils/operations';
import { PUBLISHER_TOKEN, startTestApp } from '../utils/test-app';

/** POSTs `body` as given (chunked when `contentLength` is undefined); resolves with the status and text. */
function post(url: string, body: string, contentLength?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${PUBLISHER_TOKEN}` };
    if (contentLength !== undefined) headers['content-length'] = contentLength;
    const outgoing = request(url, { method: 'POST', headers }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

describe('the request body limit (Yoga’s, without a stream per request)', () => {
  const input = { userId: '1', type: 't', title: 'sized' };
  const body = JSON.stringify({ query: PUBLISH_NOTIFICATION, variables: { input } });

  it('publishes with a Content-Length and with a chunked body', async () => {
    const server = await startTestApp();
    const sized = await post(server.url, body, String(Buffer.byteLength(body)));
    expect(sized.status).toBe(200);
    expect(JSON.parse(sized.text).data.publishNotification.id).toEqual(expect.any(String));
    const chunked = await post(server.url, body);
    expect(chunked.status).toBe(200);
    expect(JSON.parse(chunked.text).data.publishNotification.id).toEqual(expect.any(String));
  });

  it('answers 413 to a body declared over the limit, and to a chunked body that grows over it', async () => {
    const server = await startTestApp();
    const declared = await new Promise<number>((resolve, reject) => {
      const outgoing = request(
        server.url,
        { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(MAX_REQUEST_BODY_BYTES + 1) } },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      outgoing.on('error', reject);
      outgoing.write('{');
    });
    expect(declared).toBe(413);
    const huge = JSON.stringify({ query: PUBLISH_NOTIFICATION, variables: { input: { ...input, body: 'x'.repeat(MAX_REQUEST_BODY_BYTES) } } });
    expect((await post(server.url, huge)).status).toBe(413);
  });
});
