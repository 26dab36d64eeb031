import { startTestApp, type TestApp } from '../utils/test-app';

describe('GraphiQL without the internet', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });

  it('loads its page, scripts, styles and editor workers from this service only', async () => {
    const html = await (await fetch(app.url, { headers: { accept: 'text/html' } })).text();
    expect(html).not.toMatch(/https?:\/\//);
    const assets = [...html.matchAll(/\/graphiql\/[\w./-]+\.(?:js|css)/g)].map(([path]) => path);
    expect(assets).toEqual(
      expect.arrayContaining(['/graphiql/graphiql.css', '/graphiql/yoga-graphiql.umd.js', '/graphiql/monacoeditorwork/graphql.worker..bundle.js']),
    );
    for (const path of assets) {
      const response = await fetch(new URL(path, app.origin));
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
      expect(response.headers.get('content-type')).toMatch(/^text\/(javascript|css)/);
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
    }
    expect((await fetch(new URL('/graphiql/../package.json', app.origin))).status).toBe(404);
    expect((await fetch(new URL('/graphiql/yoga-graphiql.es.js', app.origin))).status).toBe(404);
  });

  it('serves no assets when GraphiQL is off', async () => {
    const off = await startTestApp({ GRAPHIQL: 'false' });
    expect((await fetch(new URL('/graphiql/graphiql.css', off.origin))).status).toBe(404);
  });
});
