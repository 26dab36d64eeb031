import type { Plugin } from 'graphql-yoga';
import type { Registry } from 'prom-client';

/** Serves the registry in Prometheus text format at `endpoint`. */
export function useMetricsEndpoint(registry: Registry, endpoint = '/metrics'): Plugin {
  return {
    async onRequest({ url, fetchAPI, endResponse }) {
      if (url.pathname !== endpoint) return;
      endResponse(new fetchAPI.Response(await registry.metrics(), { headers: { 'content-type': registry.contentType } }));
    },
  };
}
