// Every shell script under src/ must pass shellcheck (they run unattended at boot).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const SRC = path.resolve(__dirname, "../../src");

function shellScripts(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : shellScripts(p);
    return e.isFile() && e.name.endsWith(".sh") ? [p] : [];
  });
}

const hasShellcheck = spawnSync("shellcheck", ["--version"], { stdio: "ignore" }).status === 0;

test("shellcheck passes on every *.sh under src/", { skip: hasShellcheck ? false : "shellcheck is not installed" }, () => {
  const scripts = shellScripts(SRC).sort();
  assert.ok(scripts.length > 0, `no *.sh files found under ${SRC}`);
  const r = spawnSync("shellcheck", ["--external-sources", ...scripts], { encoding: "utf8" });
  assert.equal(r.error, undefined, String(r.error));
  assert.equal(r.status, 0, `shellcheck failed:\n${r.stdout}${r.stderr}`);
});
