// The client against the real Python zaptools server (PyPI zaptools 0.5.2 on
// FastAPI and uvicorn): it speaks v1 unchanged. With recovery asked for (the
// default) it notices the server offers none and writes plain v1 frames:
// no `zap-id`, no `zap.resume`, nothing a v1 server would misread.
//
// Needs python3 with zaptools, fastapi and uvicorn. Without them the tests
// fail when CI is set and are skipped with a notice otherwise.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { RequestTimeoutError } from "../dist/index.js";
import { client } from "./support/client.mjs";
import { startPrinting } from "./support/server.mjs";
import { next, waitFor } from "./support/wait.mjs";

const INSTALL = "python3 -m pip install zaptools==0.5.2 fastapi uvicorn websockets";
const script = join(dirname(fileURLToPath(import.meta.url)), "support", "python_server.py");
const available =
  spawnSync("python3", ["-c", "import zaptools.connectors, fastapi, uvicorn, websockets"], { stdio: "ignore" })
    .status === 0;
if (!available && process.env.CI) throw new Error(`python3 with zaptools, fastapi and uvicorn is required in CI: ${INSTALL}`);
const skip = available ? false : `python3 with zaptools, fastapi and uvicorn not found (${INSTALL})`;
if (skip) console.error(`\n!!!!!!!! SKIPPED: ${skip} !!!!!!!!\n`);

async function python(t, port) {
  const args = [script];
  if (port !== undefined) args.push(String(port));
  const server = await startPrinting("python3", args, "the Python zaptools server");
  t.after(() => server.stop());
  return { ...server, url: `ws://127.0.0.1:${server.port}/ws` };
}

test("with recovery asked, the client finds a v1 server and writes exactly the frames v1 expects", { skip }, async (t) => {
  const server = await python(t);
  const zap = client(t, server.url, { sessionWait: 300 });
  const session = next("the session outcome", (fn) => zap.onSession(fn));
  zap.connect();
  const hello = next("hello", (fn) => zap.on("hello", fn));
  zap.send("hello", "typescript"); // waits for the outcome, then goes out plain
  assert.equal((await session).status, "v1");
  assert.deepEqual(await hello, { hi: "typescript" });

  // The Python server echoes the headers it got: exactly ours, no zap-id.
  const echoed = next("echo", (fn) => zap.on("echo", (payload, event) => fn({ payload, event })));
  zap.send("echo", { nested: [1, { x: null }] }, { trace: "abc" });
  const { payload, event } = await echoed;
  assert.deepEqual(payload, { nested: [1, { x: null }] });
  assert.deepEqual(event.headers, { trace: "abc" });
  // Acknowledged on write: a v1 server never acknowledges.
  await zap.sendConfirmed("echo", 1);
  assert.equal(zap.unacknowledged, 0);
  assert.deepEqual(zap.seen.errors, []);
});

test("a request to a v1 server that does not answer it times out; the event itself is delivered", { skip }, async (t) => {
  const server = await python(t);
  const zap = client(t, server.url, { sessionWait: 300 });
  zap.connect();
  const plain = next("the echo as a plain event", (fn) => zap.on("echo", fn));
  await assert.rejects(zap.request("echo", "question", { timeout: 1500 }), RequestTimeoutError);
  assert.equal(await plain, "question");
});

test("the client reconnects to a restarted v1 server and stays plain v1", { skip }, async (t) => {
  let server = await python(t);
  const zap = client(t, server.url, { sessionWait: 300 });
  const outcomes = [];
  zap.onSession((outcome) => outcomes.push(outcome.status));
  zap.connect();
  await waitFor("the first outcome", () => outcomes.length === 1);
  await server.stop();
  await waitFor("the client to notice", () => zap.state !== "online", { seen: () => zap.seen.states.join(",") });
  server = await python(t, server.port);
  await waitFor("the second outcome", () => outcomes.length === 2, { seen: () => zap.seen.states.join(",") });
  assert.deepEqual(outcomes, ["v1", "v1"]);
  const hello = next("hello", (fn) => zap.on("hello", fn));
  zap.send("hello", "again");
  assert.deepEqual(await hello, { hi: "again" });
  assert.ok(!zap.seen.states.includes("error"), zap.seen.states.join(","));
});
