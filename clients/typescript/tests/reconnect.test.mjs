// Reconnection: after a server restart, the backoff schedule, the attempt
// limit, and the pause while the page is hidden or the network down.

import assert from "node:assert/strict";
import net from "node:net";
import { test } from "node:test";

import { backoff, delayBefore } from "../dist/backoff.js";
import { client } from "./support/client.mjs";
import { Proxy } from "./support/proxy.mjs";
import { startServer } from "./support/server.mjs";
import { next, waitFor } from "./support/wait.mjs";

test("the delays grow exponentially from the second attempt, capped, shortened by jitter", () => {
  const policy = backoff({ initialDelay: 100, maxDelay: 1000, multiplier: 2, jitter: 0.5, maxAttempts: 6 });
  const exact = [1, 2, 3, 4, 5, 6, 7].map((n) => delayBefore(policy, n, 0));
  assert.deepEqual(exact, [0, 100, 200, 400, 800, 1000, null]);
  // The largest jitter halves a delay, never more.
  assert.equal(delayBefore(policy, 3, 0.999999) > 100, true);
  assert.equal(delayBefore(policy, 3, 0.999999) <= 200, true);
  // Unlimited by default; `false` means one attempt.
  assert.equal(delayBefore(backoff({}), 1000, 0), 30000);
  assert.equal(delayBefore(backoff(false), 2, 0), null);
});

test("the client comes back after the server restarts on the same port, offline or connecting meanwhile, never error", async (t) => {
  let server = await startServer();
  t.after(() => server.stop());
  const zap = client(t, server.url);
  zap.connect();
  await next("the first session", (fn) => zap.onSession(fn));
  assert.equal(await zap.request("add", { a: 1, b: 1 }), 2);

  await server.stop();
  await waitFor("the client to notice", () => zap.state !== "online", { seen: () => zap.seen.states.join(",") });
  const restarted = next("a session on the new server", (fn) => zap.onSession(fn));
  server = await startServer({ port: server.port });
  const outcome = await restarted;
  assert.equal(zap.state, "online");
  // A new process knows nothing of the old session.
  assert.equal(outcome.status, "new");
  assert.equal(outcome.reason, "unknown");
  assert.equal(await zap.request("add", { a: 2, b: 2 }), 4);
  assert.ok(!zap.seen.states.includes("error"), zap.seen.states.join(","));
  assert.ok(zap.seen.states.includes("offline") && zap.seen.states.includes("connecting"));
});

test("after maxAttempts failed attempts the client gives up in state error", async (t) => {
  // Every connection is accepted and reset at once: each attempt fails.
  let attempts = 0;
  const refuser = net.createServer((socket) => {
    attempts++;
    socket.resetAndDestroy();
  });
  await new Promise((resolve) => refuser.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise((resolve) => refuser.close(resolve)));
  const zap = client(t, `ws://127.0.0.1:${refuser.address().port}/ws`, {
    reconnect: { initialDelay: 10, maxDelay: 40, maxAttempts: 3 },
  });
  zap.connect();
  await waitFor("state error", () => zap.state === "error", { seen: () => zap.seen.states.join(",") });
  assert.equal(attempts, 3);
  assert.equal(zap.seen.errors.at(-1).kind, "gave_up");
});

/** An environment the test switches: network up or down, page visible or hidden. */
function switchable() {
  const listeners = new Set();
  const env = {
    up: true,
    shown: true,
    online: () => env.up,
    visible: () => env.shown,
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    set(up, shown) {
      env.up = up;
      env.shown = shown;
      for (const fn of listeners) fn();
    },
  };
  return env;
}

for (const [what, down] of [
  ["the network is down", [false, true]],
  ["the page is hidden", [true, false]],
]) {
  test(`no attempt while ${what}; one at once when it comes back`, async (t) => {
    const server = await startServer();
    t.after(() => server.stop());
    const proxy = await Proxy.start(server.port);
    t.after(() => proxy.close());
    const env = switchable();
    const zap = client(t, proxy.url(), { environment: env, reconnect: { initialDelay: 10, maxDelay: 20, minUptime: 0 } });
    zap.connect();
    await next("the first session", (fn) => zap.onSession(fn));

    env.set(...down);
    proxy.cut();
    await waitFor("the client to go offline", () => zap.state === "offline", { seen: () => zap.seen.states.join(",") });
    proxy.restore();
    const attempts = proxy.connections;
    // Many backoff periods (20 ms each) pass: still no attempt.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(proxy.connections, attempts, "no connection attempt while paused");
    assert.equal(zap.state, "offline");

    const back = next("the session after the pause", (fn) => zap.onSession(fn));
    env.set(true, true);
    assert.equal(zap.state, "connecting", "the attempt starts on the change itself");
    const outcome = await back;
    assert.equal(outcome.status, "recovered");
  });
}
