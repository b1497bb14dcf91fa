// The client against the real Rust server: events both ways, headers,
// rooms, requests and their failures, and the envelope a v1 peer expects.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import WebSocket, { WebSocketServer } from "ws";

import { RemoteError, RequestTimeoutError, createClient } from "../dist/index.js";
import { client } from "./support/client.mjs";
import { startServer } from "./support/server.mjs";
import { next, waitFor } from "./support/wait.mjs";

let server;
before(async () => {
  server = await startServer();
});
after(() => server.stop());

/** A client of the server, connected, its session begun. */
async function connected(t, options) {
  const zap = client(t, server.url, options);
  const session = next("the session", (fn) => zap.onSession(fn));
  zap.connect();
  await session;
  return zap;
}

test("an event sent comes back through its listener with its payload and headers", async (t) => {
  const zap = await connected(t);
  const echoed = next("echo", (fn) => zap.on("echo", (payload, event) => fn({ payload, event })));
  zap.send("echo", { nested: [1, { x: null }], text: "héllo ✓" }, { trace: "abc" });
  const { payload, event } = await echoed;
  assert.deepEqual(payload, { nested: [1, { x: null }], text: "héllo ✓" });
  assert.equal(event.eventName, "echo");
  assert.equal(event.headers.trace, "abc");
  zap.disconnect();
});

test("onAny sees every event and off stops a listener", async (t) => {
  const zap = await connected(t);
  const names = [];
  const unsubscribeAny = zap.onAny((event) => names.push(event.eventName));
  let counted = 0;
  const count = () => counted++;
  zap.on("echo", count);
  zap.send("echo", 1);
  await waitFor("the first echo", () => counted === 1, { seen: () => JSON.stringify(names) });
  zap.off("echo", count);
  const second = next("the second echo", (fn) => zap.onAny(fn));
  zap.send("echo", 2);
  await second;
  assert.equal(counted, 1, "the removed listener was not called again");
  unsubscribeAny();
  assert.deepEqual(names, ["echo", "echo"]);
  zap.disconnect();
});

test("room events reach the members and stop after leaving", async (t) => {
  const [ada, bob] = [await connected(t), await connected(t)];
  assert.equal(await ada.request("join", "lobby"), true);
  assert.equal(await bob.request("join", "lobby"), true);
  const said = [];
  bob.on("said", (payload) => said.push(payload.text));
  ada.send("say", { room: "lobby", text: "hi bob" });
  await waitFor("bob to hear ada", () => said.length === 1, { seen: () => JSON.stringify(said) });
  assert.deepEqual(said, ["hi bob"]);
  assert.equal(await bob.request("leave", "lobby"), true);
  ada.send("say", { room: "lobby", text: "bob is gone" });
  const own = next("ada's own message", (fn) => ada.on("said", fn));
  assert.deepEqual(await own, { text: "bob is gone" });
  // ada's copy arrived after the server sent the room's event to every member.
  assert.deepEqual(said, ["hi bob"]);
  ada.disconnect();
  bob.disconnect();
});

test("a request resolves with its reply, not through the event listeners", async (t) => {
  const zap = await connected(t);
  let heard = 0;
  zap.on("add", () => heard++);
  assert.equal(await zap.request("add", { a: 2, b: 40 }), 42);
  const replies = await Promise.all([1, 2, 3].map((n) => zap.request("add", { a: n, b: n })));
  assert.deepEqual(replies, [2, 4, 6]);
  assert.equal(heard, 0);
  zap.disconnect();
});

test("a request with no reply in time rejects with RequestTimeoutError", async (t) => {
  const zap = await connected(t);
  const started = Date.now();
  await assert.rejects(zap.request("slow", 2000, { timeout: 150 }), (error) => {
    assert.ok(error instanceof RequestTimeoutError, String(error));
    assert.equal(error.kind, "timeout");
    assert.equal(error.eventName, "slow");
    return true;
  });
  assert.ok(Date.now() - started < 1500, "rejected at its timeout, not at the reply");
  zap.disconnect();
});

test("a request pending when disconnect() is called rejects with DisconnectedError", async (t) => {
  const zap = await connected(t);
  const pending = zap.request("slow", 5000, { timeout: 10000 });
  zap.disconnect();
  await assert.rejects(pending, { kind: "disconnected" });
});

// docs/protocol.md, "Error replies".
test("a request the handler fails rejects at once with the server's RemoteError", async (t) => {
  const zap = await connected(t);
  const started = Date.now();
  await assert.rejects(zap.request("fail", null, { timeout: 5000 }), (error) => {
    assert.ok(error instanceof RemoteError, String(error));
    assert.equal(error.code, "handler");
    assert.match(error.detail, /refused on purpose/);
    return true;
  });
  assert.ok(Date.now() - started < 4000, "an error reply, not the timeout");
  zap.disconnect();
});

// docs/protocol.md, "Error replies".
test("a request whose payload does not decode rejects with invalid_payload", async (t) => {
  const zap = await connected(t);
  await assert.rejects(zap.request("add", "not numbers", { timeout: 5000 }), {
    kind: "remote",
    code: "invalid_payload",
  });
  zap.disconnect();
});

test("a listener that throws is reported through onError and the others still run", async (t) => {
  const zap = await connected(t);
  zap.on("echo", () => {
    throw new Error("listener bug");
  });
  const second = next("the second listener", (fn) => zap.on("echo", fn));
  zap.send("echo", "x");
  assert.equal(await second, "x");
  await waitFor("the report", () => zap.seen.errors.some((error) => error.kind === "listener"), {
    seen: () => zap.seen.errors.map(String).join("; "),
  });
  assert.match(String(zap.seen.errors.find((error) => error.kind === "listener")), /listener bug/);
  zap.disconnect();
});

test("the outbox is bounded while offline: send returns false and reports", async (t) => {
  const zap = client(t, server.url, { maxOutbox: 3 });
  for (let n = 0; n < 3; n++) assert.equal(zap.send("echo", n), true);
  assert.equal(zap.send("echo", 3), false);
  assert.equal(zap.seen.errors.at(-1).kind, "outbox_full");
  const echoes = [];
  zap.on("echo", (payload) => echoes.push(payload));
  zap.connect();
  await waitFor("the queued events", () => echoes.length === 3, { seen: () => JSON.stringify(echoes) });
  assert.deepEqual(echoes, [0, 1, 2]);
  zap.disconnect();
});

test("a v1 frame: headers omitted when none were given, and no recovery query with recovery off", async (t) => {
  // A plain ws server records what the client writes and the URL it asks for.
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => wss.once("listening", resolve));
  const frames = [];
  const urls = [];
  wss.on("connection", (socket, request) => {
    urls.push(request.url);
    socket.on("message", (data) => frames.push(JSON.parse(String(data))));
  });
  const zap = createClient(`ws://127.0.0.1:${wss.address().port}/ws`, { WebSocket, recovery: false });
  zap.connect();
  zap.send("plain", { a: 1 });
  zap.send("with-headers", null, { h: "v" });
  await waitFor("two frames", () => frames.length === 2, { seen: () => JSON.stringify(frames) });
  assert.deepEqual(frames, [
    { eventName: "plain", payload: { a: 1 } },
    { eventName: "with-headers", payload: null, headers: { h: "v" } },
  ]);
  assert.deepEqual(urls, ["/ws"]);
  zap.disconnect();
  for (const socket of wss.clients) socket.terminate();
  await new Promise((resolve) => wss.close(resolve));
});
