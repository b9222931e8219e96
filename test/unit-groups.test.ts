import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { entrySource, FILES_PER_PROCESS, groupUnitFiles, OWN_PROCESS, unitTestFiles } from "./unit-groups";

const ROOT = path.resolve(__dirname, "..");
const unitFiles = unitTestFiles(ROOT);

test("the unit suite is every *.test.ts but the engine suite's", () => {
  assert.ok(unitFiles.includes("test/unit-groups.test.ts"));
  assert.ok(unitFiles.length > 100, `${unitFiles.length} files`);
  assert.deepEqual(unitFiles.filter((f) => f.endsWith(".engine.test.ts")), []);
  assert.ok(fs.readdirSync(path.join(ROOT, "test", "engine")).some((f) => f.endsWith(".engine.test.ts")), "the engine suite's files exist and are left out");
});

test("every unit test file runs exactly once, in a process of its directory's files, at most six to a process", () => {
  const groups = groupUnitFiles(unitFiles);
  assert.deepEqual(groups.flat().sort(), [...unitFiles].sort());
  for (const group of groups) {
    assert.ok(group.length >= 1 && group.length <= FILES_PER_PROCESS, group.join(", "));
    assert.equal(new Set(group.map((f) => path.posix.dirname(f))).size, 1, `one directory per process: ${group.join(", ")}`);
  }
  assert.ok(groups.length < unitFiles.length / 2, `${groups.length} processes for ${unitFiles.length} files`);
});

test("a directory is split into nearly equal runs; the files that change process-wide state run alone", () => {
  const seven = Array.from({ length: 7 }, (_, i) => `test/x/f${i}.test.ts`);
  assert.deepEqual(groupUnitFiles(seven).map((g) => g.length), [4, 3]);
  const groups = groupUnitFiles([...OWN_PROCESS, "test/snapshots/other.test.ts", "test/a.test.ts"]);
  for (const own of OWN_PROCESS) assert.ok(groups.some((g) => g.length === 1 && g[0] === own), own);
});

test("a file that sets environment variables or pulumi mocks for its whole run is kept in a process of its own", () => {
  for (const file of unitFiles) {
    const text = fs.readFileSync(path.join(ROOT, file), "utf8");
    const global = /^pulumi\.runtime\.setMocks\(/m.test(text) || /process\.env(\[[^\]]+\]|\.[A-Z_]+) = /.test(text);
    if (global) assert.ok(OWN_PROCESS.includes(file), `${file} changes process-wide state: add it to OWN_PROCESS in test/unit-groups.ts`);
  }
});

test("the entry file loads its files by absolute path, in order", () => {
  assert.equal(entrySource("/repo", ["test/a/one.test.ts", "test/a/two.test.ts"]), 'require("/repo/test/a/one.test.ts");\nrequire("/repo/test/a/two.test.ts");\n');
});
