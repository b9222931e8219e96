// What the engine tests that deploy the local stack need, said once: why they cannot run here
// (skipped with it, or failed under CI=true), and how they report a command that failed.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { dockerMissing, goMissing } from "../../demo/support";
import { engine } from "../engine-test";

const PLUGINS = ["pulumi-language-nodejs", "pulumi-resource-docker"];

/** The engine's bin directory ("" where there is none). */
export const binDir = engine.found ? engine.binDir : "";

/** Why the local stack cannot be deployed here: Docker, Go, the engine or its two plugins (undefined when it can). */
export function localStackMissing(): string | undefined {
  return (
    dockerMissing() ??
    goMissing() ??
    (!engine.found ? engine.reason : PLUGINS.find((p) => !fs.existsSync(path.join(binDir, p))) !== undefined ? `${PLUGINS.join(", ")} not built (npm run engine)` : undefined)
  );
}

/** Fails with the command's exit code and the tails of its output. */
export function expectOk(what: string, r: { status: number | null; stdout: string; stderr: string }): void {
  assert.equal(r.status, 0, `${what} failed (exit ${r.status}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
}
