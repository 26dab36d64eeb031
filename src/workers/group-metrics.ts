import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry, type RegistryContentType } from 'prom-client';

/** A worker asks the primary for the group's metrics; the primary answers with every worker's, aggregated. */
interface MetricsRequest {
  readonly type: 'mechamap:group-metrics-request';
  readonly id: number;
}
interface MetricsResponse {
  readonly type: 'mechamap:group-metrics-response';
  readonly id: number;
  readonly text?: string;
  readonly error?: string;
}

const isRequest = (message: unknown): message is MetricsRequest => (message as MetricsRequest | null)?.type === 'mechamap:group-metrics-request';
const isResponse = (message: unknown): message is MetricsResponse => (message as MetricsResponse | null)?.type === 'mechamap:group-metrics-response';

/**
 * In the primary: answers a worker's request with prom-client's aggregation of every worker's
 * registry (counters and gauges summed, as prom-client's cluster aggregator does).
 */
export function serveGroupMetrics(worker: Worker, aggregator: AggregatorRegistry<RegistryContentType>): void {
  worker.on('message', (message: unknown) => {
    if (!isRequest(message)) return;
    const answer = (response: Omit<MetricsResponse, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: 'mechamap:group-metrics-response', id: message.id, ...response } satisfies MetricsResponse);
    };
    aggregator.clusterMetrics().then(
      (text) => answer({ text }),
      (error: Error) => answer({ error: error.message }),
    );
  });
}

/**
 * In a worker: offers `registry` to the primary's aggregation, and answers how to render the
 * whole group's metrics (for /metrics), whichever worker the scrape reached.
 */
export function groupMetricsOfWorker(registry: Registry): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry]);
  // prom-client answers the primary's requests from a worker only once an aggregator exists there.
  new AggregatorRegistry();
  const pending = new Map<number, { resolve(text: string): void; reject(error: Error): void }>();
  let nextId = 0;
  process.on('message', (message: unknown) => {
    if (!isResponse(message)) return;
    const request = pending.get(message.id);
    pending.delete(message.id);
    if (message.error !== undefined) request?.reject(new Error(message.error));
    else request?.resolve(message.text ?? '');
  });
  return () =>
    new Promise((resolve, reject) => {
      if (!cluster.isWorker || !process.send) return reject(new Error('not a worker'));
      const id = (nextId += 1);
      pending.set(id, { resolve, reject });
      process.send({ type: 'mechamap:group-metrics-request', id } satisfies MetricsRequest);
    });
}
