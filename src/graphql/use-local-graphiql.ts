import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { renderGraphiQL, type GraphiQLOptions, type Plugin } from 'graphql-yoga';

/** Where the page loads GraphiQL from: this service, never a CDN, so it works offline too. */
export const GRAPHIQL_ASSETS_PATH = '/graphiql/';

/** The only files served, and their types: a fixed list, so no path from a request touches the disk. */
const ASSETS: Readonly<Record<string, string>> = {
  'graphiql.css': 'text/css; charset=utf-8',
  'yoga-graphiql.umd.js': 'text/javascript; charset=utf-8',
  'monacoeditorwork/editor.worker.bundle.js': 'text/javascript; charset=utf-8',
  'monacoeditorwork/json.worker.bundle.js': 'text/javascript; charset=utf-8',
  'monacoeditorwork/graphql.worker..bundle.js': 'text/javascript; charset=utf-8',
};

/**
 * yoga's GraphiQL page with every `https://unpkg.com/@graphql-yoga/graphiql@x/dist/` URL pointed
 * at this service. GraphiQL sends the Headers tab only over HTTP; its WebSocket client sends its
 * `connectionParams` option instead, so the headers it opens with (the development token) are
 * given as connection params too, and subscriptions over WebSocket run as that user.
 */
export function renderLocalGraphiQL(options: GraphiQLOptions = {}): string {
  const connectionParams = typeof options.headers === 'string' ? parseHeaders(options.headers) : undefined;
  return renderGraphiQL(connectionParams ? ({ ...options, connectionParams } as GraphiQLOptions) : options)
    .replace(/https:\/\/unpkg\.com\/@graphql-yoga\/graphiql@[^/]+\/dist\//g, GRAPHIQL_ASSETS_PATH)
    .replace(/<link rel=icon href=https:[^>]*>/, '');
}

function parseHeaders(json: string): Record<string, unknown> | undefined {
  try {
    const headers: unknown = JSON.parse(json);
    return headers && typeof headers === 'object' ? (headers as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Serves the files of the `@graphql-yoga/graphiql` package under `/graphiql/`, read once and kept. */
export function useLocalGraphiQLAssets(): Plugin {
  const distDir = join(dirname(require.resolve('@graphql-yoga/graphiql/package.json')), 'dist');
  const cache = new Map<string, Promise<Buffer>>();
  return {
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (request.method !== 'GET' || !url.pathname.startsWith(GRAPHIQL_ASSETS_PATH)) return;
      const name = url.pathname.slice(GRAPHIQL_ASSETS_PATH.length);
      const type = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
      if (!type) return endResponse(new fetchAPI.Response('not found', { status: 404 }));
      let body = cache.get(name);
      if (!body) cache.set(name, (body = readFile(join(distDir, name))));
      return body.then((bytes) =>
        endResponse(
          new fetchAPI.Response(new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength), {
            status: 200,
            headers: { 'content-type': type, 'cache-control': 'public, max-age=86400' },
          }),
        ),
      );
    },
  };
}
