import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { getOperationAST, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { isAsyncIterable, maskError, processRegularResult } from 'graphql-yoga';
import type { IdentifyCaller } from '../auth/identify-caller';
import type { GraphQLContext } from '../graphql/context';
import type { YogaServer } from '../graphql/create-yoga';
import type { DocumentCache } from '../graphql/document-cache';
import type { Logger } from '../observability/logger';
import { readBody } from './read-body';

export interface MutationFastPathOptions {
  readonly yoga: YogaServer;
  /** Yoga's GraphQL endpoint, e.g. `/graphql`. */
  readonly path: string;
  readonly identifyCaller: IdentifyCaller;
  readonly documents: DocumentCache;
  /** Bodies longer than this are left to Yoga, which refuses them (413). */
  readonly maxBodyBytes: number;
  readonly logger: Logger;
  /** Null when a mutation may run now, else a promise to wait on first (the process is behind with its deliveries, or the event loop's turn is due). */
  readonly admit: () => Promise<void> | null;
}

type Enveloped = ReturnType<YogaServer['getEnveloped']>;

interface PlainParams {
  readonly query: string;
  readonly variables?: Record<string, unknown>;
  readonly operationName?: string;
}

const JSON_CONTENT_TYPE = /^application\/json\s*(;\s*charset=utf-8\s*)?$/i;
const CONTENT_LENGTH = /^[1-9]\d*$/;
/** What Yoga answers with `application/json` for: no preference, anything, or JSON itself. */
const JSON_ACCEPTED = new Set([undefined, '*/*', 'application/json']);
const RESPONSE_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * A request as Laravel (or curl) sends a mutation: `POST` to the endpoint itself, a JSON body
 * whose length is declared and within the limit, plain JSON accepted, not a browser's
 * cross-origin request (CORS headers are Yoga's business), nothing encoded.
 */
function isPlainJsonPost(request: IncomingMessage, path: string, maxBodyBytes: number): boolean {
  const { headers } = request;
  const contentLength = headers['content-length'];
  return (
    request.method === 'POST' &&
    request.url === path &&
    headers.origin === undefined &&
    headers['content-encoding'] === undefined &&
    headers['transfer-encoding'] === undefined &&
    JSON_CONTENT_TYPE.test(headers['content-type'] ?? '') &&
    JSON_ACCEPTED.has(headers.accept) &&
    contentLength !== undefined &&
    CONTENT_LENGTH.test(contentLength) &&
    Number(contentLength) <= maxBodyBytes
  );
}

/** `{query, variables?, operationName?}` and nothing else, or null for anything Yoga should judge. */
function plainParamsOf(text: string): PlainParams | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const fields = body as Record<string, unknown>;
  for (const key in fields) if (key !== 'query' && key !== 'variables' && key !== 'operationName') return null;
  const { query, variables, operationName } = fields;
  if (typeof query !== 'string') return null;
  if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return null;
  if (operationName != null && typeof operationName !== 'string') return null;
  return { query, variables: (variables ?? undefined) as PlainParams['variables'], operationName: operationName ?? undefined };
}

/**
 * Runs the mutations Laravel sends through Yoga's GraphQL pipeline — the same enveloped parse,
 * validation, context and execute, so every plugin (query limits, error masking, error codes)
 * applies — but without Yoga's Fetch API layer (a `Request`, `Headers` and `Response` per call,
 * content negotiation, a chain of promises), which cost more CPU than the mutation itself.
 * A publisher's mutation runs compiled (see `useCompiledPublisherMutations`), inside that
 * pipeline. Every other request, and any request this path is not sure about (a bad body, a
 * bad token, a document that does not validate, a query or subscription), goes to Yoga untouched, or with
 * its body already read; a result with errors is rendered by Yoga's own result processor. So a
 * caller gets the same answer, byte for byte, either way.
 */
export function withMutationFastPath(options: MutationFastPathOptions): RequestListener {
  const { yoga, path, identifyCaller, documents, maxBodyBytes, admit } = options;
  const log = options.logger.child({ component: 'http-mutations' });

  /** Lets Yoga answer a request whose body was read here: whatwg-node uses `request.body` when set. */
  const handOver = (request: IncomingMessage, response: ServerResponse, body: string) => {
    void yoga(Object.assign(request, { body }), response);
  };

  /** A result without errors is written here; any other is rendered by Yoga's own result processor. */
  const respond = (response: ServerResponse, result: ExecutionResult): Promise<void> | undefined => {
    if (result.errors === undefined && result.extensions === undefined && !isAsyncIterable(result)) {
      const body = JSON.stringify(result);
      response.writeHead(200, { 'Content-Type': RESPONSE_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) }).end(body);
      return undefined;
    }
    const processed = processRegularResult(result, yoga.fetchAPI, 'application/json');
    return processed.text().then((body) => void response.writeHead(processed.status, Object.fromEntries(processed.headers)).end(body));
  };

  const execute = async (enveloped: Enveloped, document: DocumentNode, params: PlainParams): Promise<ExecutionResult> => {
    try {
      // Yoga's context function answers at once for a caller identified here: no turn of the microtask queue for it.
      const context = enveloped.contextFactory() as GraphQLContext | Promise<GraphQLContext>;
      const contextValue = context instanceof Promise ? await context : context;
      const args = { schema: enveloped.schema as GraphQLSchema, document, operationName: params.operationName, variableValues: params.variables, contextValue };
      return (await enveloped.execute(args)) as ExecutionResult;
    } catch (error) {
      log.error({ err: error }, 'a mutation failed unexpectedly');
      return { errors: [maskError(error, 'Unexpected error.') as never] };
    }
  };

  const answer = async (request: IncomingMessage, response: ServerResponse, text: string) => {
    const params = plainParamsOf(text);
    if (!params) return handOver(request, response, text);
    const caller = await identifyCaller(request.headers.authorization);
    if (caller.kind === 'invalid') return handOver(request, response, text);
    // One envelope for the request, as Yoga makes one: parsed and validated through it only when the text is new.
    const enveloped = yoga.getEnveloped({ params, caller });
    const validated = documents.validate(params.query, () => enveloped);
    if (!('document' in validated) || getOperationAST(validated.document, params.operationName)?.operation !== 'mutation') {
      return handOver(request, response, text);
    }
    const admitted = admit();
    if (admitted) await admitted;
    return respond(response, await execute(enveloped, validated.document, params));
  };

  return (request, response) => {
    if (!isPlainJsonPost(request, path, maxBodyBytes)) {
      void yoga(request, response);
      return;
    }
    readBody(request)
      .then((text) => answer(request, response, text))
      .catch((error: unknown) => {
        log.error({ err: error }, 'answering a mutation failed');
        if (!response.headersSent) response.writeHead(500).end();
        else response.destroy();
      });
  };
}
