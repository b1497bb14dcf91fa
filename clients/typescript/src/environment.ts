// Where the client runs: whether the network is up and the page visible,
// so reconnection pauses while it could not succeed or nobody looks.

/** What the client asks of its surroundings. */
export interface Environment {
  /** Whether the network is reported up. */
  online(): boolean;
  /** Whether the page is visible (always true outside a browser). */
  visible(): boolean;
  /** Calls `changed` whenever one of the two may have changed; returns the unsubscribe. */
  subscribe(changed: () => void): () => void;
}

interface Listening {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/** Node, workers and other places without `online`/`visibilitychange`: always up. */
export const alwaysUp: Environment = {
  online: () => true,
  visible: () => true,
  subscribe: () => () => {},
};

/**
 * The browser's: `navigator.onLine`, `document.visibilityState`, and the
 * `online`/`offline`/`visibilitychange` events. `alwaysUp` elsewhere.
 */
export function detectEnvironment(): Environment {
  const scope = globalThis as unknown as {
    navigator?: { onLine?: boolean };
    document?: Listening & { visibilityState?: string };
  } & Partial<Listening>;
  const target = typeof scope.addEventListener === "function" ? (scope as Listening) : null;
  const document = scope.document && typeof scope.document.addEventListener === "function" ? scope.document : null;
  if (!target && !document) return alwaysUp;
  return {
    online: () => scope.navigator?.onLine !== false,
    visible: () => document?.visibilityState !== "hidden",
    subscribe(changed) {
      target?.addEventListener("online", changed);
      target?.addEventListener("offline", changed);
      document?.addEventListener("visibilitychange", changed);
      return () => {
        target?.removeEventListener("online", changed);
        target?.removeEventListener("offline", changed);
        document?.removeEventListener("visibilitychange", changed);
      };
    },
  };
}
