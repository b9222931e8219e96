// The recovery block of docs/interrupted-deploy.md, run as written: the engine suite proves the
// runbook itself, not a copy of it.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../../../engine/targets";
import type { LocalRun } from "./local-run";

export const RUNBOOK = path.join(REPO_ROOT, "docs", "interrupted-deploy.md");

/** The shell block the runbook marks `sh recovery`. */
export function recoveryBlock(markdown: string): string {
  const match = /```sh recovery\n([\s\S]*?)```/.exec(markdown);
  if (!match?.[1]) throw new Error(`${RUNBOOK} has no \`\`\`sh recovery block`);
  return match[1];
}

/**
 * Runs the block, as written, against a local run's stack: in the state dir's scratch project
 * (where `npm run local:up` runs its stack commands; none of these runs the program), with the
 * run's backend and the engine's binaries first on PATH.
 */
export function recoverInterruptedDeploy(run: LocalRun): string[] {
  const block = recoveryBlock(fs.readFileSync(RUNBOOK, "utf8"));
  const r = spawnSync("bash", ["-c", `set -euo pipefail\n${block}`], { cwd: run.layout.project, env: { ...run.env(), STACK: "local" }, encoding: "utf8", timeout: 600_000 });
  if (r.status !== 0) throw new Error(`the runbook's recovery failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return block.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("#"));
}
