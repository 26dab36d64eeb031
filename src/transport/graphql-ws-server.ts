import type { IncomingMessage, Server } from 'node:http';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Caller } from '../auth/caller';
import type { IdentifyCaller } from '../auth/identify-caller';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';

export interface GraphQLWebSocketOptions {
  readonly server: Server;
  readonly path: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly yoga: YogaServerInstance<any, any>;
  readonly identifyCaller: IdentifyCaller;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly maxFrameBytes: number;
}

type SocketExtra = {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
  caller?: Caller;
};

interface EnvelopedRoot {
  execute(args: ExecutionArgs): unknown;
  subscribe(args: ExecutionArgs): unknown;
}

/** GraphiQL sends its header editor's entries as connection params, so any letter case is accepted. */
function authorizationOf(connectionParams: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (!connectionParams) return undefined;
  const key = Object.keys(connectionParams).find((name) => name.toLowerCase() === 'authorization');
  const value = key === undefined ? undefined : connectionParams[key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Serves the graphql-ws protocol on the HTTP server's `path`, executing every operation
 * through the same Yoga instance (and so the same plugins, context and error masking) as HTTP.
 * This is the only module that knows the `ws` library.
 */
export function attachGraphQLWebSocket(options: GraphQLWebSocketOptions) {
  const { server, path, yoga, identifyCaller, metrics, maxFrameBytes } = options;
  const log = options.logger.child({ component: 'graphql-ws' });
  const wss = new WebSocketServer({ server, path, maxPayload: maxFrameBytes });

  wss.on('connection', (socket) => {
    metrics.connectionOpened();
    socket.once('close', () => metrics.connectionClosed());
  });

  useServer<Record<string, unknown> | undefined, SocketExtra>(
    {
      async onConnect(ctx) {
        const caller = await identifyCaller(authorizationOf(ctx.connectionParams));
        if (caller.kind === 'invalid') {
          log.info({ reason: caller.reason }, 'refused a WebSocket connection with a bad token');
          return false; // graphql-ws closes the socket with 4403 Forbidden
        }
        ctx.extra.caller = caller;
        return true;
      },
      async onSubscribe(ctx, _id, payload) {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          caller: ctx.extra.caller,
        });
        let document;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError('The query could not be parsed.')];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
        const rootValue: EnvelopedRoot = { execute, subscribe };
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue,
        };
      },
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args) as never,
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args) as never,
    },
    wss,
  );

  return {
    /** Closes every socket with `code` and stops accepting new ones. */
    close(code: number = CloseCode.InternalServerError, reason = 'Server shutting down'): Promise<void> {
      for (const client of wss.clients) client.close(code, reason);
      return new Promise((resolve) => wss.close(() => resolve()));
    },
  };
}
