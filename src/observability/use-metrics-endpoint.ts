import type { Plugin } from 'graphql-yoga';
import type { Registry } from 'prom-client';

/**
 * Serves the metrics in Prometheus text format at `endpoint`: the registry's own, or what
 * `render` answers (under WORKERS, the whole group's).
 */
export function useMetricsEndpoint(registry: Registry, render: () => Promise<string> = () => registry.metrics(), endpoint = '/metrics'): Plugin {
  return {
    async onRequest({ url, fetchAPI, endResponse }) {
      if (url.pathname !== endpoint) return;
      endResponse(new fetchAPI.Response(await render(), { headers: { 'content-type': registry.contentType } }));
    },
  };
}
