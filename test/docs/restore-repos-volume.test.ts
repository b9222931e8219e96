// docs/restore-repos-volume.md agrees with the code: the schedule, bound, freeze limit, names and
// token scopes it states, and the --compare lines it tells the operator to expect.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { compareGraphs, formatChanges } from "../../src/synth/compare";
import { restoredVolumeName } from "../../src/snapshots/restore";
import {
  FREEZE_MAX_SECONDS, SNAPSHOT_CALENDAR, SNAPSHOT_MAX_AGE_HOURS, SNAPSHOT_RANDOM_DELAY, SNAPSHOT_TOKEN_SCOPES, SNAPSHOT_UNIT, readSnapshotScript,
} from "../../src/snapshots/units";
import { isAutomaticSnapshot } from "../../src/verify/snapshots";
import { PROJECT_DIR, synthStack } from "../harness";

const doc = readFileSync(join(PROJECT_DIR, "docs", "restore-repos-volume.md"), "utf8");
const EXAMPLE_ID = "8a2b1c3d-0e4f-11f0-9a6b-0a58ac14a2b3";

test("the schedule, the verify bound and the freeze limit are the code's", () => {
  assert.equal(SNAPSHOT_CALENDAR, "*-*-* 03:30:00 UTC");
  assert.match(doc, /Daily at 03:30 UTC, started up to 30 minutes later/);
  assert.equal(SNAPSHOT_RANDOM_DELAY, "30min");
  assert.match(doc, new RegExp(`more than ${SNAPSHOT_MAX_AGE_HOURS} hours old`));
  assert.match(doc, new RegExp(`\\(bound ${SNAPSHOT_MAX_AGE_HOURS} h\\)`));
  assert.match(doc, new RegExp(`watchdog after ${FREEZE_MAX_SECONDS} s`));
  assert.match(doc, new RegExp(`${SNAPSHOT_UNIT}\\.timer`));
});

test("the snapshot names it shows are the ones the script makes and retention and verify count", () => {
  assert.match(readSnapshotScript(), /^PREFIX=docstown-auto$/m);
  assert.match(readSnapshotScript(), /date -u \+%Y%m%d-%H%M%S/);
  const shown = [...doc.matchAll(/docstown-auto-docstown-repos-\d{8}-\d{6}/g)].map((m) => m[0]);
  assert.ok(shown.length >= 2);
  for (const name of shown) assert.ok(isAutomaticSnapshot("docstown-repos", name), name);
  assert.match(doc, /`docstown-auto-<volume>-<yyyymmdd>-<hhmmss>`/);
});

test("it asks for exactly the token scopes the script needs", () => {
  for (const scope of SNAPSHOT_TOKEN_SCOPES) assert.ok(doc.includes(`\`${scope}\``), scope);
  const named = new Set([...doc.matchAll(/`(block_storage[a-z_]*:[a-z]+)`/g)].map((m) => m[1]));
  assert.deepEqual([...named].sort(), [...SNAPSHOT_TOKEN_SCOPES].sort());
});

let compareOutput = "";
before(async () => {
  const volume = (extra: Record<string, unknown>) => JSON.stringify({ name: "docstown-repos", sizeGb: 50, mountPath: "/data/repos", ...extra });
  const earlier = await synthStack("production");
  const restored = await synthStack("production", { "docstown:volume": volume({ restoreFromSnapshot: EXAMPLE_ID }) });
  compareOutput = formatChanges(compareGraphs(earlier, restored));
});

test("the --compare lines it expects are the ones synth prints for its example snapshot", () => {
  const block = /Expect exactly these inputs to change:\n\n\s*```text\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block, "the expected --compare block is missing");
  const expected = block.split("\n").map((l) => l.trim()).filter(Boolean);
  const printed = compareOutput.split("\n").filter((l) => l.startsWith("+ ") || /\s\([a-zA-Z, ]+\)\s/.test(l));
  assert.deepEqual([...expected].sort(), [...printed].sort());
  assert.ok(doc.includes(`\`${restoredVolumeName("docstown-repos", EXAMPLE_ID)}\``));
  // Every other changed line follows the droplet's replacement.
  const others = compareOutput.split("\n").filter((l) => l.trim() !== "" && !printed.includes(l));
  for (const line of others) assert.match(line, /from replaced docstown-droplet$/, line);
});
