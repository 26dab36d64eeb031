import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';

const HERE = __dirname;

export interface WebExample {
  /** The page's address; add `?graphql=ws://host:port/graphql` to point it at a service. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the live page for development and tests: index.html and app.tsx (React, on the client
 * package's hooks) bundled by esbuild (a devDependency) into one ES module. Nothing of it runs in
 * the service itself.
 */
export async function startWebExample({ port = 5173, host = '127.0.0.1' } = {}): Promise<WebExample> {
  const bundle = await build({
    entryPoints: [join(HERE, 'app.tsx')],
    // The client package from its source (tsconfig.client.json's paths): nothing to build first.
    tsconfig: join(HERE, '../../tsconfig.client.json'),
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    bundle: true,
    format: 'esm',
    target: 'es2022',
    write: false,
    minify: true,
    logLevel: 'silent',
  });
  const files: Record<string, { type: string; body: string | Uint8Array }> = {
    '/': { type: 'text/html; charset=utf-8', body: await readFile(join(HERE, 'index.html'), 'utf8') },
    '/app.js': { type: 'text/javascript; charset=utf-8', body: bundle.outputFiles[0]!.contents },
  };
  const server = createServer((request, response) => {
    const file = files[new URL(request.url ?? '/', 'http://page').pathname];
    response.writeHead(file ? 200 : 404, { 'content-type': file?.type ?? 'text/plain' }).end(file?.body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const { port: actualPort } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${actualPort}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

if (require.main === module) {
  const graphql = process.env['GRAPHQL_WS_URL'] ?? 'ws://localhost:4000/graphql';
  startWebExample({ port: Number(process.env['PORT'] ?? 5173), host: process.env['HOST'] ?? '127.0.0.1' }).then(
    ({ url }) => {
      process.stdout.write(`Live page: ${url}?graphql=${encodeURIComponent(graphql)}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`the live page did not start: ${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
