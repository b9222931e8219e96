// The rollback runbook and the host's image prune say the same thing: what the prune removes (its
// `until=` age, by the image's build time) is what the runbook says may be gone, and the runbook
// never promises that every image stays.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { PROJECT_DIR } from "../harness";

const runbook = fs.readFileSync(path.join(PROJECT_DIR, "docs", "rollback.md"), "utf8");

test("the runbook states the prune's age and command, and that a pruned digest is pulled again", () => {
  const source = fs.readFileSync(path.join(PROJECT_DIR, "src", "server", "cloud-init.ts"), "utf8");
  const until = /docker image prune --all --force --filter until=(\d+)h/.exec(source);
  assert.ok(until?.[1], "cloud-init prunes images by age");
  const days = Number(until[1]) / 24;
  assert.match(runbook, new RegExp(`built more than ${days} days ago`));
  assert.match(runbook, new RegExp(`docker image prune --all --filter until=${until[1]}h`));
  assert.match(runbook, /pulls that digest again from the registry/);
  assert.doesNotMatch(runbook, /keeps every image/);
});
