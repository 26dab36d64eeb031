import { createServer, type Server } from 'node:http';
import { WebSocketServer } from 'ws';

export interface FakeReverb {
  readonly server: Server;
  /** host:port, for nginx's upstream. */
  readonly host: string;
  close(): Promise<void>;
}

/** The old Reverb: answers HTTP with the path it saw and greets WebSockets, so routing to it shows. */
export async function startFakeReverb(): Promise<FakeReverb> {
  const server = createServer((request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end(`reverb ${request.method} ${request.url}`));
  const sockets = new WebSocketServer({ server });
  sockets.on('connection', (socket, request) => socket.send(`reverb websocket ${request.url}`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    host: `127.0.0.1:${(server.address() as { port: number }).port}`,
    async close() {
      for (const socket of sockets.clients) socket.terminate();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
