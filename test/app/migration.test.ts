// A failed db:prepare stops the rollout before any new web or worker exists.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { migratedImage, migrationFailure, outputTail } from "../../src/app/migration";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { PROJECT_DIR, recordProgram, synthStack } from "../harness";

const ID = `sha256:${"d".repeat(64)}`;

test("exit code 0 passes; any other code, or none, blocks with the container to inspect", () => {
  assert.equal(migrationFailure(0, "docstown-migrate-1a2b3c4"), undefined);
  const failed = migrationFailure(1, "docstown-migrate-1a2b3c4") ?? "";
  assert.match(failed, /exited with code 1/);
  assert.match(failed, /docker logs docstown-migrate-1a2b3c4/);
  assert.match(failed, /running one keeps serving/);
  assert.match(migrationFailure(undefined, "m") ?? "", /reported no exit code/);
});

test("a non-zero exit fails the program; the new web and worker never reach the engine", () => {
  const run = spawnSync(process.execPath, ["--import", "tsx", join(__dirname, "fixtures", "failed-migration.ts")], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
    timeout: 60000,
  });
  assert.notEqual(run.status, 0, "the program fails");
  assert.match(run.stderr, /db:prepare in container docstown-migrate-1a2b3c4 exited with code 2/);
  const { created } = JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}") as { created: string[] };
  assert.ok(created.includes("docstown-network"), "what does not depend on the migration is registered");
  assert.ok(!created.includes("docstown-web") && !created.includes("docstown-worker"), "web and worker are not");
});

test("a successful migration hands the image id through unchanged", async () => {
  const result = await recordProgram(() => {
    const image = migratedImage({ exitCode: pulumi.output(0), name: pulumi.output("docstown-migrate-1a2b3c4") }, ID);
    new docker.Container("docstown-web", { image });
    return {};
  });
  assert.equal(result.resources.find((r) => r.name === "docstown-web")?.inputs["image"], ID);
});

test("a failed step's own last lines of output are part of the failure, oldest first", () => {
  const output = ["== 20261205 AddIndex: migrating", ...Array.from({ length: 30 }, (_, i) => `line ${i}`), "PG::DuplicateTable: ERROR:  relation \"users\" already exists", ""].join("\n");
  const failure = migrationFailure(1, "docstown-migrate-1", "bin/rails db:prepare", output) ?? "";
  assert.match(failure, /its last 20 line\(s\) of output:\n {2}\| line 11\n/);
  assert.match(failure, / {2}\| PG::DuplicateTable: ERROR: {2}relation "users" already exists$/);
  assert.ok(!failure.includes("AddIndex"), "only the tail");
  assert.equal(outputTail(""), "");
  assert.equal(migrationFailure(0, "c", "s", output), undefined);
});

test("migrate keeps its output, stored as a secret", async () => {
  const { resources } = await synthStack("local");
  const migrate = resources.find((r) => r.type === "docker:index/container:Container" && r.name === "docstown-migrate");
  assert.equal(migrate?.inputs["logs"], true);
  assert.deepEqual(migrate?.options.additionalSecretOutputs, ["containerLogs"]);
});
