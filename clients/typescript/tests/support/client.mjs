// Clients for the tests: the package's client on the `ws` package (Node 20
// has no global WebSocket), with fast reconnection, and a record of what it
// saw.

import WebSocket from "ws";

import { createClient } from "../../dist/index.js";

/** Fast reconnection, so that cuts heal within the tests' waits. */
export const FAST = { initialDelay: 20, maxDelay: 200, jitter: 0.5, minUptime: 0 };

/**
 * A client with `states`, `sessions` and `errors` recorded; disconnected
 * when the test `t` ends, whatever its outcome (a client left reconnecting
 * would keep Node running).
 */
export function client(t, url, options = {}) {
  const zap = createClient(url, { WebSocket, reconnect: FAST, ...options });
  t.after(() => zap.disconnect());
  const seen = { states: [], sessions: [], errors: [] };
  zap.onState((state) => seen.states.push(state));
  zap.onSession((outcome) => seen.sessions.push(outcome));
  zap.onError((error) => seen.errors.push(error));
  return Object.assign(zap, { seen });
}
