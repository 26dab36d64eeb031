import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { WorkerRequest } from './protocol';
import type { WorkerReply } from './worker-ipc';

/** A request without its `id` (the pool adds it), for each member of the union `R`. */
type RequestBody<R> = R extends { readonly id: number } ? Omit<R, 'id'> : never;

/** One client process, as its parent sees it: ask it something, get the reply. */
export interface ClientWorker<Request = WorkerRequest> {
  readonly index: number;
  readonly pid: number;
  ask<T>(request: RequestBody<Request>): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Forks a client worker (`script` in bench/, bench/client-worker.ts by default, through the tsx
 * loader) and resolves once it is ready. `Request` is the union of requests that script answers.
 */
export async function startClientWorker<Request = WorkerRequest>(index: number, script = 'client-worker.ts'): Promise<ClientWorker<Request>> {
  const child: ChildProcess = fork(join(__dirname, script), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  const exited = once(child, 'exit');
  const failAll = (error: Error) => {
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };
  void exited.then(([code, signal]) => failAll(new Error(`client worker ${index} exited (${code ?? signal})`)));

  const ready = new Promise<void>((resolve, reject) => {
    pending.set(0, { resolve: () => resolve(), reject });
  });
  child.on('message', (reply: WorkerReply) => {
    const waiting = pending.get(reply.id);
    if (!waiting) return;
    pending.delete(reply.id);
    if (reply.ok) waiting.resolve(reply.result);
    else waiting.reject(new Error(`client worker ${index}: ${reply.error}`));
  });
  await ready;

  return {
    index,
    pid: child.pid as number,
    ask<T>(request: RequestBody<Request>): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ ...request, id });
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
