import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PLUGINS, locate } from "../../engine/local/engine";

let dir: string;

/** A directory holding executables with these names. */
function bin(name: string, binaries: readonly string[]): string {
  const path = join(dir, name);
  mkdirSync(path, { recursive: true });
  for (const b of binaries) writeFileSync(join(path, b), "#!/bin/sh\n", { mode: 0o755 });
  return path;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), "local-run-engine-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("local:up engine choice", () => {
  it("takes a pulumi on PATH whose plugins are beside it", () => {
    const repo = join(dir, "repo-a");
    bin("repo-a/.engine/bin", ["pulumi", ...PLUGINS]);
    const onPath = bin("path-a", ["pulumi", ...PLUGINS]);
    assert.deepEqual(locate(repo, onPath), { found: true, binDir: onPath, source: "path" });
  });

  it("takes a pulumi on PATH whose plugins are elsewhere on PATH", () => {
    const cliDir = bin("path-b1", ["pulumi"]);
    const plugins = bin("path-b2", [...PLUGINS]);
    assert.deepEqual(locate(join(dir, "repo-none"), `${cliDir}:${plugins}`), { found: true, binDir: cliDir, source: "path" });
  });

  it("passes over a pulumi on PATH without the docker plugin, for the built engine", () => {
    const repo = join(dir, "repo-c");
    const built = bin("repo-c/.engine/bin", ["pulumi", ...PLUGINS]);
    const onPath = bin("path-c", ["pulumi", "pulumi-language-nodejs"]);
    assert.deepEqual(locate(repo, onPath), { found: true, binDir: built, source: "built" });
  });

  it("names what npm run engine has to build when neither is complete", () => {
    const repo = join(dir, "repo-d");
    const built = bin("repo-d/.engine/bin", ["pulumi", "pulumi-language-nodejs"]);
    assert.deepEqual(locate(repo, bin("path-d", [])), { found: false, binDir: built, missing: ["pulumi-resource-docker"] });
    assert.deepEqual(locate(join(dir, "repo-empty"), undefined), {
      found: false,
      binDir: join(dir, "repo-empty", ".engine", "bin"),
      missing: ["pulumi", ...PLUGINS],
    });
  });
});
