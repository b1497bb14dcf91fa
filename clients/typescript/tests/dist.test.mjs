// The committed build (dist/, served by the chat example and published) is
// exactly what tsc makes of src/ now.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const pkg = dirname(dirname(fileURLToPath(import.meta.url)));

test("dist/ is the build of src/ (rebuild with `npx tsc` and commit it)", () => {
  const out = mkdtempSync(join(tmpdir(), "zaptools-dist-"));
  try {
    const tsc = join(pkg, "node_modules", "typescript", "bin", "tsc");
    const result = spawnSync(process.execPath, [tsc, "-p", join(pkg, "tsconfig.json"), "--outDir", out], {
      encoding: "utf8",
    });
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
    const built = readdirSync(out).sort();
    assert.deepEqual(readdirSync(join(pkg, "dist")).sort(), built);
    for (const name of built) {
      assert.equal(
        readFileSync(join(pkg, "dist", name), "utf8"),
        readFileSync(join(out, name), "utf8"),
        `dist/${name} is stale: run \`npx tsc\` in clients/typescript and commit dist/`,
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
