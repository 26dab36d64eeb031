import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../observability/logger';
import { payloadObject } from './laravel-message';
import type { LaravelPublisher } from './laravel-publisher';
import { type PusherCredentials, verifyPusherRequest } from './pusher-signature';

export interface PusherHttpApiOptions {
  readonly credentials: PusherCredentials;
  readonly publisher: LaravelPublisher;
  /** Largest request body accepted (MAX_PAYLOAD_BYTES); larger ones get 413. */
  readonly maxBodyBytes: number;
  readonly logger: Logger;
  readonly nowSeconds?: () => number;
}

const ROUTE = /^\/apps\/([^/]+)\/(events|batch_events)$/;

/** Pusher's own limits, which its SDKs also enforce. */
const MAX_CHANNELS_PER_EVENT = 100;
const MAX_BATCH_EVENTS = 10;

interface PusherEvent {
  readonly name: string;
  readonly channels: readonly string[];
  readonly data: unknown;
}

class BadRequest extends Error {}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `data` is a string of JSON as Pusher specifies it (Laravel sends one); an object is accepted too. */
function decodeData(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

function readEvent(value: unknown, where: string): PusherEvent {
  if (!isRecord(value)) throw new BadRequest(`${where} must be an object`);
  const { name, channel, channels, data } = value;
  if (typeof name !== 'string' || name === '') throw new BadRequest(`${where}.name must be a non-empty string`);
  const list = channels ?? (channel === undefined ? undefined : [channel]);
  if (!Array.isArray(list) || list.length === 0 || list.some((item) => typeof item !== 'string' || item === '')) {
    throw new BadRequest(`${where} must name its channels ("channels": [...] or "channel")`);
  }
  if (list.length > MAX_CHANNELS_PER_EVENT) throw new BadRequest(`${where} names more than ${MAX_CHANNELS_PER_EVENT} channels`);
  return { name, channels: list as string[], data: decodeData(data) };
}

function readEvents(body: string, batch: boolean): PusherEvent[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new BadRequest('The body is not JSON.');
  }
  if (!batch) return [readEvent(parsed, 'the event')];
  const list = isRecord(parsed) ? parsed['batch'] : undefined;
  if (!Array.isArray(list)) throw new BadRequest('The body must be {"batch": [...]}.');
  if (list.length > MAX_BATCH_EVENTS) throw new BadRequest(`A batch holds at most ${MAX_BATCH_EVENTS} events.`);
  return list.map((item, index) => readEvent(item, `batch[${index}]`));
}

/**
 * Pusher's HTTP API for publishing, so that Laravel's `pusher`/`reverb` broadcaster can point at
 * this service: `POST /apps/{appId}/events` and `/apps/{appId}/batch_events`, signed as Pusher
 * signs (see pusher-signature.ts), each event on each channel published through the channel map.
 * Answers as Pusher does: `{}` with 200; 401 for a bad signature (nothing published), 404 for
 * an unknown app or path, 413 for a body over the limit, 400 for a body it cannot read, 503
 * when the bus cannot take an event. Errors are `{"error": "…"}`.
 */
export function usePusherHttpApi({
  credentials,
  publisher,
  maxBodyBytes,
  logger,
  nowSeconds = () => Math.floor(Date.now() / 1000),
}: PusherHttpApiOptions): Plugin {
  const log = logger.child({ component: 'pusher-http-api' });
  return {
    async onRequest({ url, request, fetchAPI, endResponse }) {
      if (!url.pathname.startsWith('/apps/')) return;
      const answer = (status: number, body: object) =>
        endResponse(new fetchAPI.Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }));

      const route = ROUTE.exec(url.pathname);
      if (!route || decodeURIComponent(route[1] as string) !== credentials.appId) return answer(404, { error: 'Unknown app or path.' });
      if (request.method !== 'POST') return answer(405, { error: 'Only POST is supported here.' });
      const declared = Number(request.headers.get('content-length') ?? 0);
      if (declared > maxBodyBytes) return answer(413, { error: `The body is over ${maxBodyBytes} bytes.` });
      const body = await request.text();
      if (Buffer.byteLength(body) > maxBodyBytes) return answer(413, { error: `The body is over ${maxBodyBytes} bytes.` });

      const refused = verifyPusherRequest(credentials, { method: request.method, path: url.pathname, query: url.searchParams, body }, nowSeconds());
      if (refused) {
        log.warn({ reason: refused }, 'refused a Pusher API request');
        return answer(401, { error: refused });
      }

      let events: PusherEvent[];
      try {
        events = readEvents(body, route[2] === 'batch_events');
      } catch (error) {
        if (!(error instanceof BadRequest)) throw error;
        publisher.malformed('pusher', error.message);
        return answer(400, { error: error.message });
      }

      for (const event of events) {
        for (const channel of event.channels) {
          const outcome = await publisher.publish('pusher', { channel, event: event.name, data: payloadObject(event.data) });
          if (outcome === 'unavailable') return answer(503, { error: 'The event bus is unavailable; retry shortly.' });
        }
      }
      return answer(200, {});
    },
  };
}
