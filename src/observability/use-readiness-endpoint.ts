import type { Plugin } from 'graphql-yoga';

/**
 * `endpoint` answers 200 while `isReady()`, 503 otherwise, with no body. Yoga's own
 * useReadinessCheck does the same but tests every request's URL against a URLPattern
 * (the polyfill), which cost ~2.5 % of the CPU of each `publishNotification`; a path
 * comparison is enough here.
 */
export function useReadinessEndpoint(isReady: () => boolean, endpoint = '/readyz'): Plugin {
  return {
    onRequest({ url, fetchAPI, endResponse }) {
      if (url.pathname !== endpoint) return;
      endResponse(new fetchAPI.Response(null, { status: isReady() ? 200 : 503 }));
    },
  };
}
