/** What the client asks of its surroundings. */
export interface Environment {
    /** Whether the network is reported up. */
    online(): boolean;
    /** Whether the page is visible (always true outside a browser). */
    visible(): boolean;
    /** Calls `changed` whenever one of the two may have changed; returns the unsubscribe. */
    subscribe(changed: () => void): () => void;
}
/** Node, workers and other places without `online`/`visibilitychange`: always up. */
export declare const alwaysUp: Environment;
/**
 * The browser's: `navigator.onLine`, `document.visibilityState`, and the
 * `online`/`offline`/`visibilitychange` events. `alwaysUp` elsewhere.
 */
export declare function detectEnvironment(): Environment;
