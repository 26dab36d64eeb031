import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { WorkerReply, WorkerRequest } from './protocol';

type RequestBody = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

/** One client process, as its parent sees it: ask it something, get the reply. */
export interface ClientWorker {
  readonly index: number;
  readonly pid: number;
  ask<T>(request: RequestBody): Promise<T>;
  stop(): Promise<void>;
}

/** Forks a client worker (bench/client-worker.ts through the tsx loader) and resolves once it is ready. */
export async function startClientWorker(index: number): Promise<ClientWorker> {
  const child: ChildProcess = fork(join(__dirname, 'client-worker.ts'), [], {
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
  exited.then(([code, signal]) => failAll(new Error(`client worker ${index} exited (${code ?? signal})`)));

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
    ask<T>(request: RequestBody): Promise<T> {
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
