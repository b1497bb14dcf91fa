// Where the client runs: whether the network is up and the page visible,
// so reconnection pauses while it could not succeed or nobody looks.
/** Node, workers and other places without `online`/`visibilitychange`: always up. */
export const alwaysUp = {
    online: () => true,
    visible: () => true,
    subscribe: () => () => { },
};
/**
 * The browser's: `navigator.onLine`, `document.visibilityState`, and the
 * `online`/`offline`/`visibilitychange` events. `alwaysUp` elsewhere.
 */
export function detectEnvironment() {
    const scope = globalThis;
    const target = typeof scope.addEventListener === "function" ? scope : null;
    const document = scope.document && typeof scope.document.addEventListener === "function" ? scope.document : null;
    if (!target && !document)
        return alwaysUp;
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
