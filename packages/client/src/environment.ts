/** What the client watches around it: whether the network is up and whether the page is seen. */
export interface Environment {
  readonly online: boolean;
  /** `online`/`offline`: the browser's network events; `visible`: the page was shown again. */
  on(event: 'online' | 'offline' | 'visible', listener: () => void): () => void;
}

/** Always online, never shown: Node, workers and tests. */
const NOWHERE: Environment = { online: true, on: () => () => {} };

/** The browser's `navigator.onLine`, `online`/`offline` events and `visibilitychange`; elsewhere NOWHERE. */
export function defaultEnvironment(): Environment {
  if (typeof window === 'undefined' || typeof document === 'undefined') return NOWHERE;
  return {
    get online() {
      return navigator.onLine !== false;
    },
    on(event, listener) {
      if (event !== 'visible') {
        window.addEventListener(event, listener);
        return () => window.removeEventListener(event, listener);
      }
      const onChange = () => document.visibilityState === 'visible' && listener();
      document.addEventListener('visibilitychange', onChange);
      return () => document.removeEventListener('visibilitychange', onChange);
    },
  };
}
