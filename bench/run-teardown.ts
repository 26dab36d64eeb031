/**
 * How a run of the benchmark or the soak ends, whether it passed, failed or threw: the error
 * explained with what the service said last, then everything the run started stopped, the
 * service last.
 */
import type { ClientWorker } from './client-pool';
import type { Publisher } from './publisher';
import type { ServerUnderTest } from './server-process';

/** `error` with the service's last output appended: usually why the run failed (it exited, or hit its file limit). */
export function withServiceOutput(error: unknown, server: ServerUnderTest): unknown {
  const output = server.output().trim();
  if (output && error instanceof Error) error.message += `\n--- the service's last output ---\n${output}`;
  return error;
}

/** Closes the publisher, stops every client worker, then the service (a targeted one is left running). */
export async function stopRun(publisher: Publisher | undefined, workers: ReadonlyArray<ClientWorker<unknown>>, server: ServerUnderTest): Promise<void> {
  await publisher?.close();
  await Promise.all(workers.map((worker) => worker.stop()));
  await server.stop();
}
