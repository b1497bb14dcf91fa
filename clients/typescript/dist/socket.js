// The WebSocket the client needs: the browser's, Node 22's global one, or
// one passed in (the `ws` package on older Node). Only what is used here is
// declared, so no DOM types leak into the package's declarations.
/** `readyState` of an open socket. */
export const OPEN = 1;
/** The global `WebSocket`, when there is one. */
export function globalSocket() {
    return globalThis.WebSocket;
}
