/**
 * The IPC side of a client worker (client-worker.ts, soak-worker.ts), as client-pool.ts expects
 * it: every request answered with a reply repeating its `id` (`ok` with the result, or the error's
 * message), a `ready` reply with id 0 once listening, and exit when the parent goes away.
 */

/** A worker's answer to the request with the same `id`. */
export type WorkerReply =
  { readonly id: number; readonly ok: true; readonly result: unknown } | { readonly id: number; readonly ok: false; readonly error: string };

/** Answers the parent's requests with `handle`; an undefined result is sent as null. */
export function answerParent<Request extends { readonly id: number }>(handle: (request: Request) => Promise<unknown>): void {
  process.on('message', (request: Request) => {
    handle(request).then(
      (result) => process.send?.({ id: request.id, ok: true, result: result ?? null } satisfies WorkerReply),
      (error: unknown) => process.send?.({ id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) } satisfies WorkerReply),
    );
  });
  // The parent going away ends the worker, and with it every socket.
  process.on('disconnect', () => process.exit(0));
  process.send?.({ id: 0, ok: true, result: 'ready' } satisfies WorkerReply);
}
