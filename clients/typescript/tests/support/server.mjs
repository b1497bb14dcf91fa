// Starts the Rust test server (clients/typescript/test-server) as a child
// process on 127.0.0.1: port 0 unless given, the port read from the
// `PORT <n>` line it prints. Built with cargo when missing.

import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
/** The repository's root. */
export const root = resolve(here, "../../../..");

let built = false;

/** The test server's executable: `ZAP_TS_TEST_SERVER`, else built into the workspace's target. */
export function serverBinary() {
  if (process.env.ZAP_TS_TEST_SERVER) return process.env.ZAP_TS_TEST_SERVER;
  const target = process.env.CARGO_TARGET_DIR ?? join(root, "target");
  const binary = join(target, "debug", "zap-ts-test-server");
  if (!built) {
    const cargo = process.env.CARGO ?? "cargo";
    const result = spawnSync(cargo, ["build", "--quiet", "-p", "zap-ts-test-server"], { cwd: root, stdio: "inherit" });
    if (result.status !== 0) throw new Error(`cargo build -p zap-ts-test-server failed (${result.status})`);
    built = true;
  }
  if (!existsSync(binary)) throw new Error(`${binary} missing after the build`);
  return binary;
}

/**
 * Runs a process that prints `PORT <n>` once listening; resolves with
 * `{ port, child, stop() }`. Fails after 30 s, saying what it printed.
 */
export function startPrinting(command, args, what) {
  return new Promise((resolvePort, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
    const lines = createInterface({ input: child.stdout });
    const seen = [];
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${what} printed no PORT line within 30 s; it printed: ${JSON.stringify(seen)}`));
    }, 30000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`${what} did not start: ${error.message}`));
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) before printing its port; it printed: ${JSON.stringify(seen)}`));
    });
    lines.on("line", (line) => {
      seen.push(line);
      const match = /^PORT (\d+)$/.exec(line);
      if (!match) return;
      clearTimeout(timer);
      const stop = () =>
        new Promise((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once("exit", () => done());
          child.kill("SIGKILL");
        });
      resolvePort({ port: Number(match[1]), child, stop });
    });
  });
}

/**
 * Starts the Rust test server; `options.port` to reuse a port, `window`
 * (seconds) for the recovery window, `rate` for flood control.
 */
export async function startServer(options = {}) {
  const args = [];
  if (options.port !== undefined) args.push("--port", String(options.port));
  if (options.window !== undefined) args.push("--window", String(options.window));
  if (options.rate !== undefined) args.push("--rate", String(options.rate));
  const started = await startPrinting(serverBinary(), args, "the Rust test server");
  return { ...started, url: `ws://127.0.0.1:${started.port}/ws` };
}
