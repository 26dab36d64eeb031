import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { bearerTokenOf, type IdentifyCaller } from '../auth/identify-caller';
import type { SubscriptionPipeline } from '../graphql/subscriptions/pipeline';
import { EncodedResult, type OpenSubscription, type OperationRequest } from '../graphql/subscriptions/subscriber';
import { createTokenExpiries } from '../graphql/subscriptions/token-expiries';
import type { Logger } from '../observability/logger';
import { readBody } from './read-body';
import { COMPLETE_EVENT, nextEvent, SseSubscriber, type SseWriter } from './sse-writer';

export interface SseSubscriptionOptions {
  /** Yoga's GraphQL endpoint, e.g. `/graphql`. */
  readonly path: string;
  readonly pipeline: SubscriptionPipeline;
  readonly identifyCaller: IdentifyCaller;
  readonly writer: SseWriter;
  /** Bodies longer than this are left to Yoga, which refuses them (413). */
  readonly maxBodyBytes: number;
  /** Keep each stream's bearer token for the pipeline's hooks; off by default. */
  readonly keepBearerToken?: boolean;
  readonly logger: Logger;
  /** Answers whatever this route does not take (its body, when it was read here, passed along). */
  readonly next: (request: IncomingMessage, response: ServerResponse, body?: string) => void;
}

const wantsEventStream = (request: IncomingMessage) => (request.headers.accept ?? '').includes('text/event-stream');

/** The operation of a GET's query string or a POST's JSON body, or null for anything Yoga should judge. */
function operationOf(url: URL, body: string | undefined): OperationRequest | null {
  let fields: Record<string, unknown>;
  try {
    fields =
      body === undefined
        ? {
            query: url.searchParams.get('query'),
            operationName: url.searchParams.get('operationName'),
            variables: JSON.parse(url.searchParams.get('variables') ?? 'null'),
          }
        : (JSON.parse(body) as Record<string, unknown>);
  } catch {
    return null;
  }
  const { query, variables, operationName } = fields ?? {};
  if (typeof query !== 'string') return null;
  if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return null;
  if (operationName != null && typeof operationName !== 'string') return null;
  return { query, variables: variables as OperationRequest['variables'], operationName };
}

/**
 * GraphQL subscriptions over SSE on Yoga's endpoint (`Accept: text/event-stream`, GET or POST),
 * run by the subscription pipeline as WebSocket ones are: same sharing, authorization, replay
 * and token expiry, each result serialized once for every stream that receives it. Anything
 * else — another operation, a bad token or body, a document that does not validate — goes to
 * `next` (Yoga), which answers it as it always has.
 */
export function withSseSubscriptions(options: SseSubscriptionOptions): RequestListener {
  const { path, pipeline, identifyCaller, writer, next } = options;
  const log = options.logger.child({ component: 'sse' });
  const tokenExpiries = createTokenExpiries<SseSubscriber>((subscriber) => subscriber.end());

  const serve = async (request: IncomingMessage, response: ServerResponse, url: URL, body: string | undefined) => {
    const operation = operationOf(url, body);
    const authorization = request.headers.authorization;
    const caller = operation && (await identifyCaller(authorization));
    const prepared = caller && caller.kind !== 'invalid' ? await pipeline.prepare(operation, caller) : null;
    if (!prepared || !('open' in prepared) || prepared.field === null) return next(request, response, body);
    const bearerToken = options.keepBearerToken && authorization ? (bearerTokenOf(authorization) ?? undefined) : undefined;
    // Open before the subscription is: its first results may come before `open` resolves.
    const stream = writer.open(response);
    const subscriber = new SseSubscriber(stream, caller!, bearerToken);
    let subscription: OpenSubscription | null = null;
    let gone = false;
    stream.onClose(() => {
      gone = true;
      tokenExpiries.forget(subscriber, caller!);
      subscription?.close();
    });
    const opened = await prepared.open(subscriber);
    if (!('close' in opened)) {
      stream.write(new EncodedResult(opened).frame('', nextEvent));
      return stream.end(COMPLETE_EVENT);
    }
    if (gone) return opened.close();
    subscription = opened;
    tokenExpiries.watch(subscriber, caller!);
  };

  return (request, response) => {
    const method = request.method;
    // The cheap checks first: every publish comes through here.
    if (!wantsEventStream(request) || (method !== 'GET' && method !== 'POST')) return next(request, response);
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== path) return next(request, response);
    const length = Number(request.headers['content-length']);
    if (method === 'POST' && !(length > 0 && length <= options.maxBodyBytes && (request.headers['content-type'] ?? '').includes('application/json'))) {
      return next(request, response);
    }
    (method === 'POST' ? readBody(request) : Promise.resolve(undefined))
      .then((body) => serve(request, response, url, body))
      .catch((error: unknown) => {
        log.error({ err: error }, 'an SSE subscription failed unexpectedly');
        if (!response.headersSent) response.writeHead(500).end();
        else response.destroy();
      });
  };
}
