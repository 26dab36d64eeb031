import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Plugin } from 'graphql-yoga';
import type { IsPublisherToken } from '../auth/publisher-token';
import type { NotificationEvent } from '../events/payloads';
import { BusUnavailableError } from '../pubsub/event-bus';
import { ADMIN_PAGE_HTML } from './admin-page';
import type { ProcessDirectory } from './process-directory';

export const ADMIN_PATH = '/admin';

/** The chart library's files, from the uplot package: never a CDN. A fixed list, so no request path touches the disk. */
const ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  'uPlot.iife.min.js': { file: 'uPlot.iife.min.js', type: 'text/javascript; charset=utf-8' },
  'uPlot.min.css': { file: 'uPlot.min.css', type: 'text/css; charset=utf-8' },
};

/** What an operator may send as a test notification; anything else is refused with 400. */
export interface TestNotification {
  readonly userId: string;
  readonly title: string;
  readonly body: string | null;
}

export interface AdminViewOptions {
  /** ADMIN_TOKENS, else the publisher tokens. */
  readonly isAdminToken: IsPublisherToken;
  readonly directory: ProcessDirectory;
  readonly publishTestNotification: (notification: TestNotification) => Promise<NotificationEvent>;
}

const MAX_FIELD_LENGTH = 500;

function testNotificationOf(body: unknown): TestNotification | string {
  if (typeof body !== 'object' || body === null) return 'the body must be a JSON object';
  const { userId, title, body: text } = body as Record<string, unknown>;
  if (typeof userId !== 'string' || !/^[\w.@-]{1,64}$/.test(userId)) return 'userId must be 1 to 64 letters, digits, or . _ @ -';
  if (typeof title !== 'string' || title.trim() === '' || title.length > MAX_FIELD_LENGTH) return `title must be 1 to ${MAX_FIELD_LENGTH} characters`;
  if (text != null && (typeof text !== 'string' || text.length > MAX_FIELD_LENGTH)) return `body must be at most ${MAX_FIELD_LENGTH} characters`;
  return { userId, title, body: typeof text === 'string' && text !== '' ? text : null };
}

/**
 * The live admin view (ADMIN=on), outside the GraphQL schema: `GET /admin` is the page (it holds
 * no data: it asks for a token), `GET /admin/api/processes` lists every process of the service
 * as the directory knows it, `POST /admin/api/notify` publishes a test notification to a user.
 * Both API routes want `Authorization: Bearer <admin token>`.
 */
export function useAdminView({ isAdminToken, directory, publishTestNotification }: AdminViewOptions): Plugin {
  const assetsDir = dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  const cache = new Map<string, Promise<Buffer>>();
  const json = (Response: typeof globalThis.Response, status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } });

  return {
    onRequest({ request, url, fetchAPI, endResponse }) {
      const { pathname } = url;
      if (pathname !== ADMIN_PATH && !pathname.startsWith(`${ADMIN_PATH}/`)) return;
      const { Response } = fetchAPI;

      if (request.method === 'GET' && (pathname === ADMIN_PATH || pathname === `${ADMIN_PATH}/`)) {
        return endResponse(new Response(ADMIN_PAGE_HTML, { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } }));
      }
      if (request.method === 'GET' && pathname.startsWith(`${ADMIN_PATH}/assets/`)) {
        const name = pathname.slice(`${ADMIN_PATH}/assets/`.length);
        const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
        if (!asset) return endResponse(new Response('not found', { status: 404 }));
        let bytes = cache.get(name);
        if (!bytes) cache.set(name, (bytes = readFile(join(assetsDir, asset.file))));
        return bytes.then((content) =>
          endResponse(new Response(new Uint8Array(content), { headers: { 'content-type': asset.type, 'cache-control': 'public, max-age=86400' } })),
        );
      }

      const token = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
      if (!token || !isAdminToken(token))
        return endResponse(json(Response, 401, { error: 'an admin token is required (ADMIN_TOKENS, else a publisher token)' }));

      if (request.method === 'GET' && pathname === `${ADMIN_PATH}/api/processes`) {
        return directory.list().then(
          (processes) => endResponse(json(Response, 200, { processes: processes.sort((a, b) => a.id.localeCompare(b.id)) })),
          (error: Error) => endResponse(json(Response, 503, { error: `the process directory is unavailable: ${error.message}` })),
        );
      }
      if (request.method === 'POST' && pathname === `${ADMIN_PATH}/api/notify`) {
        return request
          .json()
          .catch(() => null)
          .then(async (body: unknown) => {
            const notification = testNotificationOf(body);
            if (typeof notification === 'string') return endResponse(json(Response, 400, { error: notification }));
            try {
              const event = await publishTestNotification(notification);
              return endResponse(json(Response, 200, { id: event.id, userId: event.userId, publishedAt: event.createdAt }));
            } catch (error) {
              if (error instanceof BusUnavailableError) return endResponse(json(Response, 503, { error: 'the event bus is unavailable' }));
              throw error;
            }
          });
      }
      return endResponse(json(Response, 404, { error: 'not found' }));
    },
  };
}
