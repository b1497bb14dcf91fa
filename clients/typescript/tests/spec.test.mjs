// The client's side of the newest extensions (docs/protocol.md), against a
// peer scripted exactly as the protocol text says, over real sockets, so
// that the exact frames and timings are pinned (events.test.mjs and
// recovery.test.mjs test the same behaviours against the Rust server).

import assert from "node:assert/strict";
import { test } from "node:test";

import { WebSocketServer } from "ws";

import { RemoteError } from "../dist/index.js";
import { client } from "./support/client.mjs";
import { next, waitFor } from "./support/wait.mjs";

/** A ws server on 127.0.0.1:0 calling `serve(socket, url, connectionIndex)`; frames arrive parsed. */
async function scripted(t, serve) {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => wss.once("listening", resolve));
  t.after(() => {
    for (const socket of wss.clients) socket.terminate();
    return new Promise((resolve) => wss.close(resolve));
  });
  let index = 0;
  wss.on("connection", (socket, request) => {
    const frames = [];
    socket.on("message", (data) => frames.push(JSON.parse(String(data))));
    serve(socket, request.url, index++, frames);
  });
  return `ws://127.0.0.1:${wss.address().port}/ws`;
}

const send = (socket, eventName, payload, headers) =>
  socket.send(JSON.stringify(headers ? { eventName, payload, headers } : { eventName, payload }));
const session = (status, extra = {}) => ({ id: "zpt-1", token: "tok/1+2", window: 120, status, reason: null, gaps: [], directGap: false, ack: 0, ...extra });

test("zap.nack: the client waits retryAfter, then resends every unacknowledged event from the refused id, in order", async (t) => {
  const handled = [];
  let nackedAt = 0;
  let resentAt = 0;
  const url = await scripted(t, (socket) => {
    send(socket, "zap.session", session("new"));
    let refusing = false;
    socket.on("message", (data) => {
      const id = JSON.parse(String(data)).headers["zap-id"];
      if (id <= (handled.at(-1) ?? 0)) return; // a resend of a handled id
      if (id === 3 && nackedAt === 0) {
        nackedAt = Date.now();
        refusing = true;
        send(socket, "zap.nack", { id: 3, reason: "rate_limited", retryAfter: 80 });
        return;
      }
      if (refusing && id !== 3) return; // dropped until 3 comes again
      if (id === 3) resentAt = Date.now();
      refusing = false;
      handled.push(id);
      send(socket, "zap.ack", { id });
    });
  });
  const zap = client(t, url);
  zap.connect();
  const confirmations = [1, 2, 3, 4, 5].map((n) => zap.sendConfirmed("work", n));
  await Promise.all(confirmations);
  assert.deepEqual(handled, [1, 2, 3, 4, 5]);
  assert.ok(resentAt - nackedAt >= 75, `resent ${resentAt - nackedAt} ms after the nack, not after retryAfter`);
});

test("resumeFrame: the next connection asks zap_resume=frame and sends zap.resume first, the token out of the URL", async (t) => {
  const urls = [];
  let firstFrame = null;
  const url = await scripted(t, (socket, requestUrl, index, frames) => {
    urls.push(requestUrl);
    if (index === 0) {
      send(socket, "zap.session", session("new", { resumeFrame: true }));
      send(socket, "tick", 1, { "zap-room": "lobby", "zap-epoch": "e1", "zap-offset": 41 });
      send(socket, "hello", null, { "zap-seq": 7 });
      socket.once("message", () => socket.terminate()); // the link drops
      return;
    }
    socket.once("message", () => {
      firstFrame = frames[0];
      send(socket, "zap.session", session("recovered", { resumeFrame: true }));
    });
  });
  const zap = client(t, url);
  zap.connect();
  await waitFor("the first session's events", () => zap.seen.sessions.length === 1);
  const resumed = next("the resumed session", (fn) => zap.onSession(fn));
  zap.send("bye", null);
  const outcome = await resumed;
  assert.equal(outcome.status, "recovered");
  assert.equal(urls[1], "/ws?zap_recover=1&zap_resume=frame");
  assert.deepEqual(firstFrame, {
    eventName: "zap.resume",
    payload: { token: "tok/1+2", seq: 7, rooms: [{ room: "lobby", epoch: "e1", offset: 41 }] },
  });
});

test("an error reply (zap-error) rejects the request with its kind and message", async (t) => {
  const url = await scripted(t, (socket) => {
    send(socket, "zap.session", session("new"));
    socket.on("message", (data) => {
      const frame = JSON.parse(String(data));
      send(socket, frame.eventName, null, {
        "zap-response-to": frame.headers["zap-request-id"],
        "zap-error": { kind: "invalid_payload", message: "expected a number" },
      });
    });
  });
  const zap = client(t, url);
  zap.connect();
  await assert.rejects(zap.request("double", "x"), (error) => {
    assert.ok(error instanceof RemoteError);
    assert.equal(error.code, "invalid_payload");
    assert.equal(error.detail, "expected a number");
    return true;
  });
});

test("after gaps the replayed events of those rooms are taken as the new position, other rooms still drop copies", async (t) => {
  const url = await scripted(t, (socket, requestUrl, index) => {
    if (index === 0) {
      send(socket, "zap.session", session("new"));
      for (const offset of [1, 2, 3]) send(socket, "tick", `gap-${offset}`, { "zap-room": "gap", "zap-epoch": "e", "zap-offset": offset });
      send(socket, "tick", "kept-5", { "zap-room": "kept", "zap-epoch": "e", "zap-offset": 5 });
      socket.once("message", () => socket.terminate());
      return;
    }
    assert.match(requestUrl, /zap_room=e%3A3%3Agap/);
    send(socket, "zap.session", session("gaps", { gaps: ["gap"] }));
    // The history restarted below the client's position: adopted.
    for (const offset of [2, 3]) send(socket, "tick", `replayed-${offset}`, { "zap-room": "gap", "zap-epoch": "e", "zap-offset": offset });
    send(socket, "tick", "kept-5-again", { "zap-room": "kept", "zap-epoch": "e", "zap-offset": 5 });
    send(socket, "tick", "kept-6", { "zap-room": "kept", "zap-epoch": "e", "zap-offset": 6 });
  });
  const zap = client(t, url);
  const ticks = [];
  zap.on("tick", (text) => ticks.push(text));
  zap.connect();
  await waitFor("the first ticks", () => ticks.length === 4, { seen: () => JSON.stringify(ticks) });
  zap.send("bye", null);
  await waitFor("the replay", () => ticks.includes("kept-6"), { seen: () => JSON.stringify(ticks) });
  assert.deepEqual(ticks, ["gap-1", "gap-2", "gap-3", "kept-5", "replayed-2", "replayed-3", "kept-6"]);
  assert.deepEqual(zap.seen.sessions.map((outcome) => [outcome.status, outcome.gaps]), [["new", []], ["gaps", ["gap"]]]);
});
