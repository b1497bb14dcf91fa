// Type tests: the real tsc checks client code against generated contracts.
// Each file of tests/types is compiled in a directory of its own with its
// contract as events.d.ts and "zaptools" mapped to the built declarations,
// without the DOM library (the package's types must not need it); a
// `@ts-expect-error` line that stops being an error fails the compile.
// The chat's contract is regenerated from its register first.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { root } from "./support/server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = dirname(here);
const tsc = join(pkg, "node_modules", "typescript", "bin", "tsc");

/** Compiles `source` (a file of tests/types, or a path) with `contract` as ./events.d.ts; returns tsc's status and output. */
function typecheck(source, contract) {
  const dir = mkdtempSync(join(tmpdir(), "zaptools-types-"));
  try {
    copyFileSync(source.includes("/") ? source : join(here, "types", source), join(dir, "app.ts"));
    copyFileSync(contract, join(dir, "events.d.ts"));
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2020",
          module: "ES2020",
          moduleResolution: "bundler",
          lib: ["ES2020"],
          types: [],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          baseUrl: ".",
          paths: {
            zaptools: [join(pkg, "dist", "index.d.ts")],
            ws: [join(here, "types", "ws-shim.d.ts")],
          },
        },
        files: ["app.ts", join(here, "types", "console.d.ts")],
      }),
    );
    const result = spawnSync(process.execPath, [tsc, "-p", dir], { encoding: "utf8" });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const golden = join(root, "crates", "zap-contract", "tests", "golden", "events.d.ts");

test("the chat's contract regenerates unchanged and a typed chat client compiles against it", () => {
  const dir = mkdtempSync(join(tmpdir(), "zaptools-contract-"));
  try {
    const cargo = process.env.CARGO ?? "cargo";
    const run = spawnSync(cargo, ["run", "--quiet", "-p", "example-chat"], {
      cwd: root,
      env: { ...process.env, ZAP_CONTRACT_DIR: dir },
      encoding: "utf8",
    });
    assert.equal(run.status, 0, run.stderr);
    const regenerated = join(dir, "events.d.ts");
    const committed = join(root, "examples", "chat", "contract", "events.d.ts");
    assert.equal(
      readFileSync(regenerated, "utf8"),
      readFileSync(committed, "utf8"),
      "examples/chat/contract is stale: ZAP_CONTRACT_DIR=examples/chat/contract cargo run -p example-chat",
    );
    const { status, output } = typecheck("chat-client.ts", regenerated);
    assert.equal(status, 0, output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("requests and responses are typed by zap-contract's fixture contract", () => {
  const { status, output } = typecheck("fixture-client.ts", golden);
  assert.equal(status, 0, output);
});

test("without a contract any event goes, payloads are unknown", () => {
  const { status, output } = typecheck("untyped-client.ts", golden);
  assert.equal(status, 0, output);
});

test("a wrong payload is reported where it is written", () => {
  const dir = mkdtempSync(join(tmpdir(), "zaptools-wrong-"));
  try {
    const source = join(dir, "wrong.ts");
    writeFileSync(
      source,
      'import { createClient } from "zaptools";\nimport type { Contract } from "./events";\ncreateClient<Contract>("ws://h/ws").send("chat.say", { room: 7, text: "x" });\n',
    );
    const { status, output } = typecheck(source, golden);
    assert.notEqual(status, 0, "tsc accepted a number for a string");
    assert.match(output, /app\.ts\(3,[0-9]+\): error TS2322: Type 'number' is not assignable to type 'string'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
