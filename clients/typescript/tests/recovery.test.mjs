// Recovery and at-least-once (docs/protocol.md) through a TCP proxy that
// cuts the link: room and direct events arrive exactly once and in order,
// client events are handled exactly once, gaps and expiry are reported.

import assert from "node:assert/strict";
import { test } from "node:test";

import { NotDeliveredError } from "../dist/index.js";
import { client } from "./support/client.mjs";
import { Proxy } from "./support/proxy.mjs";
import { startServer } from "./support/server.mjs";
import { next, waitFor } from "./support/wait.mjs";

/** A server, a proxy in front of it, and a controller connected directly (no recovery). */
async function setup(t, serverOptions) {
  const server = await startServer(serverOptions);
  t.after(() => server.stop());
  const proxy = await Proxy.start(server.port);
  t.after(() => proxy.close());
  const control = client(t, server.url, { recovery: false });
  control.connect();
  return { server, proxy, control };
}

/** Connects `zap` and waits for its first session. */
async function begin(zap) {
  const session = next("the first session", (fn) => zap.onSession(fn));
  zap.connect();
  return session;
}

/** Cuts the link, runs `meanwhile` while it is down, restores it and returns the resumed session's outcome. */
async function cutAndResume(proxy, zap, meanwhile = async () => {}) {
  const resumed = next("the resumed session", (fn) => zap.onSession(fn));
  proxy.cut();
  await waitFor("the client to notice the cut", () => zap.state !== "online", {
    seen: () => zap.seen.states.slice(-5).join(","),
  });
  await meanwhile();
  proxy.restore();
  return resumed;
}

const range = (from, count) => Array.from({ length: count }, (_, i) => from + i);

test("10,000 room events across 20 cuts arrive exactly once and in order", async (t) => {
  const { proxy, control } = await setup(t);
  const zap = client(t, proxy.url());
  const ticks = [];
  zap.on("tick", (n) => ticks.push(n));
  assert.equal((await begin(zap)).status, "new");
  await zap.request("join", "feed");

  const total = 10000;
  const cuts = 20;
  const chunk = Math.floor(total / (2 * cuts + 1));
  let published = 0;
  const publish = async (count) => {
    await control.request("publish", { room: "feed", from: published, count });
    published += count;
  };
  for (let cut = 0; cut < cuts; cut++) {
    await publish(chunk); // some of these are in flight at the cut
    const outcome = await cutAndResume(proxy, zap, () => publish(chunk));
    assert.equal(outcome.status, "recovered", JSON.stringify(outcome));
  }
  await publish(total - published);
  await waitFor(`${total} ticks`, () => ticks.length >= total, { seen: () => `${ticks.length} ticks` });
  assert.equal(ticks.length, total);
  assert.deepEqual(ticks, range(0, total));
  assert.ok(zap.seen.errors.length === 0, zap.seen.errors.map(String).join("; "));
});

test("1,000 client events across 10 cuts are handled exactly once, in order", async (t) => {
  const { proxy, control } = await setup(t);
  const zap = client(t, proxy.url());
  await begin(zap);
  const total = 1000;
  const cuts = 10;
  const per = total / cuts;
  const confirmed = [];
  for (let cut = 0; cut < cuts; cut++) {
    for (const n of range(cut * per, per)) {
      zap.sendConfirmed("record", { key: "exactly-once", n }).then(() => confirmed.push(n));
    }
    // Cut while some are written and unacknowledged, some not written yet.
    const outcome = await cutAndResume(proxy, zap);
    assert.equal(outcome.status, "recovered", JSON.stringify(outcome));
  }
  await waitFor("every event acknowledged", () => confirmed.length === total, {
    seen: () => `${confirmed.length} acknowledged, ${zap.unacknowledged} waiting`,
  });
  assert.deepEqual(await control.request("recorded", "exactly-once"), range(0, total));
  assert.deepEqual(confirmed, range(0, total));
});

test("direct events cut in flight arrive exactly once and in order", async (t) => {
  const { proxy } = await setup(t);
  const zap = client(t, proxy.url());
  const direct = [];
  zap.on("direct", (n) => direct.push(n));
  await begin(zap);
  const total = 1000; // within the server's outbound queue and its direct-event buffer
  zap.send("direct", { from: 0, count: total });
  await waitFor("the first direct events", () => direct.length > 0, { seen: () => `${direct.length}` });
  const outcome = await cutAndResume(proxy, zap);
  assert.equal(outcome.status, "recovered", JSON.stringify(outcome));
  await waitFor(`${total} direct events`, () => direct.length >= total, { seen: () => `${direct.length}` });
  assert.deepEqual(direct, range(0, total));
});

test("a request written before a cut gets its reply after the resume", async (t) => {
  const { proxy } = await setup(t);
  const zap = client(t, proxy.url());
  await begin(zap);
  const reply = zap.request("slow", 300, { timeout: 15000 });
  await waitFor("the request written", () => zap.unacknowledged === 1 && zap.state === "online");
  const outcome = await cutAndResume(proxy, zap);
  assert.equal(outcome.status, "recovered", JSON.stringify(outcome));
  assert.equal(await reply, "done");
});

test("events missed beyond a room's history: the outcome is gaps, naming the room", async (t) => {
  const { proxy, control } = await setup(t);
  const zap = client(t, proxy.url());
  await begin(zap);
  await zap.request("join", "small:gap"); // keeps its last 10 events
  await zap.request("join", "feed");
  const outcome = await cutAndResume(proxy, zap, async () => {
    await control.request("publish", { room: "small:gap", from: 0, count: 30 });
    await control.request("publish", { room: "feed", from: 0, count: 5 });
  });
  assert.equal(outcome.status, "gaps", JSON.stringify(outcome));
  assert.deepEqual(outcome.gaps, ["small:gap"]);
  assert.equal(outcome.directGap, false);
});

// docs/protocol.md, "After a gap".
test("after a gap the room's replayed history is accepted as the new position, then new events follow", async (t) => {
  const { proxy, control } = await setup(t);
  const zap = client(t, proxy.url());
  const ticks = [];
  zap.on("tick", (n) => ticks.push(n));
  await begin(zap);
  await zap.request("join", "small:gap");
  await control.request("publish", { room: "small:gap", from: 0, count: 3 });
  await waitFor("3 ticks before the cut", () => ticks.length === 3, { seen: () => JSON.stringify(ticks) });
  let atOutcome = -1;
  zap.onSession(() => (atOutcome = ticks.length));
  const outcome = await cutAndResume(proxy, zap, () =>
    control.request("publish", { room: "small:gap", from: 3, count: 30 }),
  );
  assert.equal(outcome.status, "gaps", JSON.stringify(outcome));
  await control.request("publish", { room: "small:gap", from: 33, count: 5 });
  await waitFor("the replayed history and the new events", () => ticks.length >= 3 + 10 + 5, {
    seen: () => JSON.stringify(ticks),
  });
  assert.equal(atOutcome, 3);
  // The history held the last 10 of the 30 missed (23..32), then 33..37.
  assert.deepEqual(ticks.slice(3), range(23, 15));
});

test("a session that expired while cut off: new with reason expired, unacknowledged events reported not delivered", async (t) => {
  const window = 1; // seconds
  const { proxy } = await setup(t, { window });
  const zap = client(t, proxy.url());
  await begin(zap);
  // Written to the proxy's socket, then cut before the proxy forwards a
  // byte: never handled, never acknowledged.
  const confirmations = range(0, 3).map((n) => zap.sendConfirmed("record", { key: "expired", n }));
  const settled = Promise.allSettled(confirmations);
  const outcome = await cutAndResume(proxy, zap, async () => {
    // The thing under test is the window running out: let it.
    await new Promise((resolve) => setTimeout(resolve, window * 1000 + 800));
  });
  assert.equal(outcome.status, "new", JSON.stringify(outcome));
  assert.equal(outcome.reason, "expired");
  assert.deepEqual(
    outcome.undelivered.map((event) => [event.eventName, event.payload.n]),
    [["record", 0], ["record", 1], ["record", 2]],
  );
  for (const result of await settled) {
    assert.equal(result.status, "rejected");
    assert.ok(result.reason instanceof NotDeliveredError, String(result.reason));
  }
  assert.ok(zap.seen.errors.some((error) => error.kind === "not_delivered"));
  // The new session works: ids start again and events are handled.
  await zap.sendConfirmed("record", { key: "after-expiry", n: 7 });
});

test("a session kept in storage resumes in a new client (a reloaded page) without duplicates", async (t) => {
  const { proxy, control } = await setup(t);
  const store = new Map();
  const storage = {
    getItem: (key) => store.get(key) ?? null,
    setItem: (key, value) => store.set(key, value),
    removeItem: (key) => store.delete(key),
  };
  const first = client(t, proxy.url(), { persist: { storage, key: "chat" } });
  const before = [];
  first.on("tick", (n) => before.push(n));
  await begin(first);
  await first.request("join", "feed");
  await control.request("publish", { room: "feed", from: 0, count: 50 });
  await waitFor("50 ticks", () => before.length === 50, { seen: () => `${before.length}` });
  proxy.cut(); // the page goes away without a close
  await waitFor("the first client to notice", () => first.state !== "online");
  await waitFor("the position saved", () => JSON.parse(store.get("chat") ?? "{}").rooms?.[0]?.[1]?.offset !== undefined);
  const kept = store.get("chat");
  first.disconnect(); // (its socket is already gone: the server still keeps the session)
  store.set("chat", kept);
  await control.request("publish", { room: "feed", from: 50, count: 25 });
  proxy.restore();

  const reloaded = client(t, proxy.url(), { persist: { storage, key: "chat" } });
  const after = [];
  reloaded.on("tick", (n) => after.push(n));
  const outcome = await begin(reloaded);
  assert.equal(outcome.status, "recovered", JSON.stringify(outcome));
  assert.equal(outcome.resumed, true);
  await waitFor("the 25 missed ticks", () => after.length >= 25, { seen: () => JSON.stringify(after) });
  assert.deepEqual(after, range(50, 25));
});

// docs/protocol.md, "Resuming without the token in the URL".
test("with a server that accepts it, the token travels in the first frame, not in the URL", async (t) => {
  const { proxy, control } = await setup(t);
  const zap = client(t, proxy.url());
  const ticks = [];
  zap.on("tick", (n) => ticks.push(n));
  await begin(zap);
  await zap.request("join", "feed");
  const outcome = await cutAndResume(proxy, zap, () => control.request("publish", { room: "feed", from: 0, count: 20 }));
  assert.equal(outcome.status, "recovered", JSON.stringify(outcome));
  const resumedWith = proxy.requests.at(-1);
  assert.match(resumedWith, /zap_resume=frame/, resumedWith);
  assert.doesNotMatch(resumedWith, /zap_session=/, resumedWith);
  await waitFor("20 ticks", () => ticks.length === 20, { seen: () => JSON.stringify(ticks) });
  assert.deepEqual(ticks, range(0, 20));
});

// docs/protocol.md, "Refused events are never acknowledged" (zap.nack).
test("events refused by flood control are resent after retryAfter and each handled once, in order", async (t) => {
  const { control } = await setup(t, { rate: 100 });
  const zap = client(t, control.url);
  await begin(zap);
  const total = 400;
  const confirmations = range(0, total).map((n) => zap.sendConfirmed("record", { key: "flood", n }));
  await Promise.all(confirmations);
  assert.deepEqual(await control.request("recorded", "flood"), range(0, total));
});
