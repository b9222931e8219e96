// Where each stack's containers log: production and a journald local stack write the host's
// journal under the stack's tag with the role and release as fields, so `npm run ops -- logs`
// can still read a release whose containers a deploy removed (proved on the real engine in
// test/ops/ops.engine.test.ts); the default local stack keeps Docker's rotated local files.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { journalField, journaldLogging } from "../../src/app/logs";
import type { RecordedResource, SynthResult } from "../../src/synth/recorder";
import { byType, PROJECT_DIR, synthStack } from "../harness";

const roleOf = (c: RecordedResource) => (c.inputs["labels"] as { label: string; value: string }[] | undefined)?.find((l) => l.label === "docstown.role")?.value;
const logging = (r: SynthResult) =>
  byType(r, "docker:index/container:Container").map((c) => ({ role: roleOf(c), driver: c.inputs["logDriver"], opts: c.inputs["logOpts"] }));

// Production's containers and its logs output: test/app/rails-app.test.ts (its render is shared there).
test("local with local.logDriver journald: the app's containers log to the journal tagged with the repos volume's name; PostgreSQL keeps its local files", async () => {
  const committed = (parse(readFileSync(join(PROJECT_DIR, "Pulumi.local.yaml"), "utf8")) as { config: Record<string, unknown> }).config["docstown:local"] ?? {};
  const journal = await synthStack("local", { "docstown:local": JSON.stringify({ ...(committed as object), logDriver: "journald", reposVolumeName: "docstown-test-repos" }) });
  const all = logging(journal);
  assert.deepEqual(all.filter((c) => c.role === "postgres").map((c) => c.driver), ["local"]);
  const app = all.filter((c) => c.role !== "postgres");
  assert.ok(app.length >= 5, "proxy, migrate, web, worker and the owner steps");
  for (const c of app) assert.deepEqual({ driver: c.driver, opts: c.opts }, { driver: "journald", opts: { tag: "docstown-test-repos", labels: "docstown.role,docstown.release" } }, String(c.role));
  assert.deepEqual(journal.outputs["logs"], { driver: "journald", tag: "docstown-test-repos" });
});

test("journal field names are Docker's for the labels; a tag that Docker would read as a template is refused", () => {
  assert.equal(journalField("docstown.role"), "DOCSTOWN_ROLE");
  assert.equal(journalField("docstown.release"), "DOCSTOWN_RELEASE");
  assert.throws(() => journaldLogging("{{.Name}}"), /not a plain journald tag/);
});
