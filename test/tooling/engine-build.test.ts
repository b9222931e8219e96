// The pieces of `npm run engine` that need no Go build: the one-line error for a module the proxy
// refuses, the cache key, the versions read from the wrapper modules, and where the engine is found.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { cacheKey, cacheRoot, wrapperFiles } from "../../engine/cache";
import { fetchFailure, lastError } from "../../engine/go-errors";
import { locateEngine, locatePlugin } from "../../engine/locate";
import { DOCKER_SDK_VERSION, ENGINE_DIR, requiredVersion, TARGETS, targetVersion } from "../../engine/targets";

test("a module the proxy refuses becomes one line naming the module and the reason", () => {
  // Verbatim output of `go build` here for a provider module the proxy does not serve.
  const output = [
    "go: github.com/pulumi/pulumi-tls/provider/v5@v5.6.1: reading https://goproxy.example/github.com/pulumi/pulumi-tls/provider/v5/@v/v5.6.1.info: 403 Forbidden",
    "\tserver response: This module version is not available.",
  ].join("\n");
  assert.equal(
    fetchFailure(output),
    "cannot fetch Go module github.com/pulumi/pulumi-tls/provider/v5@v5.6.1: 403 Forbidden (This module version is not available.)",
  );
});

test("a version list the proxy refuses and a network failure are fetch failures too", () => {
  assert.equal(
    fetchFailure("go: module github.com/pulumi/pulumi-docker/provider/v5: reading https://goproxy.example/github.com/pulumi/pulumi-docker/provider/v5/@v/list: 403 Forbidden"),
    "cannot fetch Go module github.com/pulumi/pulumi-docker/provider/v5: 403 Forbidden",
  );
  assert.match(
    fetchFailure("go: example.com/m@v1.0.0: Get \"https://goproxy.example/example.com/m/@v/v1.0.0.info\": dial tcp: lookup goproxy.example: no such host") ?? "",
    /^cannot fetch Go module example\.com\/m@v1\.0\.0: network error/,
  );
});

test("an offline module cache names the first module go could not download", () => {
  // Verbatim shape of `go build` with an empty GOMODCACHE and GOPROXY=off.
  const output = [
    "go: downloading github.com/pulumi/pulumi/sdk/v3 v3.274.1",
    "go: downloading google.golang.org/grpc v1.83.2",
    "main.go:19:2: module lookup disabled by GOPROXY=off",
  ].join("\n");
  assert.equal(fetchFailure(output), "cannot fetch Go module github.com/pulumi/pulumi/sdk/v3@v3.274.1: module lookup disabled by GOPROXY=off");
});

test("a compile error is not reported as a fetch failure", () => {
  const output = "# example.com/m\n./main.go:3:2: undefined: foo\n";
  assert.equal(fetchFailure(output), undefined);
  assert.equal(lastError(output), "./main.go:3:2: undefined: foo");
});

test("each binary's version is the one its wrapper go.mod requires", () => {
  assert.equal(requiredVersion("require (\n\tgithub.com/pulumi/pulumi/pkg/v3 v3.274.1 // indirect\n)", "github.com/pulumi/pulumi/pkg/v3"), "v3.274.1");
  assert.equal(requiredVersion("require github.com/pulumi/pulumi/sdk/v3 v3.274.1\n", "github.com/pulumi/pulumi/sdk/v3"), "v3.274.1");
  assert.throws(() => requiredVersion("module x\n", "github.com/pulumi/pulumi/pkg/v3"), /not required/);
  for (const target of TARGETS.filter((t) => t.fixedVersion === undefined)) assert.match(targetVersion(target), /^v\d+\.\d+\.\d+$/, target.binary);
});

test("the Docker plugin reports the version of the @pulumi/docker SDK the program is locked to", () => {
  // Each registration the SDK sends names its package version; a plugin reporting another one
  // would send the engine looking for a download.
  const sdk = JSON.parse(fs.readFileSync(require.resolve("@pulumi/docker/package.json"), "utf8")) as { pulumi: { version: string } };
  const docker = TARGETS.find((t) => t.binary === "pulumi-resource-docker");
  assert.ok(docker?.schema, "pulumi-resource-docker is a target with a generated schema");
  assert.equal(targetVersion(docker), sdk.pulumi.version);
  assert.equal(DOCKER_SDK_VERSION, sdk.pulumi.version);
});

test("the Docker plugin's cache key covers its nested shim module and both commands", () => {
  const files = wrapperFiles(path.join(ENGINE_DIR, "docker"));
  for (const f of ["go.mod", "go.sum", "provider.go", "shim/go.mod", "shim/shim.go", "cmd/pulumi-tfgen-docker/main.go", "cmd/pulumi-resource-docker/main.go"]) {
    assert.ok(files.includes(f), `${f} is hashed`);
  }
  assert.ok(!files.some((f) => f.endsWith("schema.json")), "the generated schema is an output, not a key input");
});

test("the cache key changes with the version, the flags and the Go version", () => {
  const cli = TARGETS[0];
  assert.ok(cli);
  const base = cacheKey(cli, "v3.274.1", "go1.26.8", ["-trimpath"]);
  assert.match(base, /^pulumi-v3\.274\.1-[0-9a-f]{16}$/);
  assert.equal(cacheKey(cli, "v3.274.1", "go1.26.8", ["-trimpath"]), base);
  assert.notEqual(cacheKey(cli, "v3.274.2", "go1.26.8", ["-trimpath"]), base);
  assert.notEqual(cacheKey(cli, "v3.274.1", "go1.27.0", ["-trimpath"]), base);
  assert.notEqual(cacheKey(cli, "v3.274.1", "go1.26.8", []), base);
  assert.equal(cacheRoot({ XDG_CACHE_HOME: "/x" }), "/x/docstown-engine");
  assert.equal(cacheRoot({ HOME: "/home/u" }), "/home/u/.cache/docstown-engine");
});

function fakeBinary(dir: string, name: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, name), "#!/bin/sh\n", { mode: 0o755 });
}

test("the built engine wins over a pulumi on PATH, which is used when none is built", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "docstown-locate-"));
  try {
    const repo = path.join(root, "repo");
    const onPath = path.join(root, "path-bin");
    fakeBinary(onPath, "pulumi");
    fs.mkdirSync(repo);
    assert.deepEqual(locateEngine(repo, onPath), { found: true, binDir: onPath, source: "path" });
    fakeBinary(path.join(repo, ".engine", "bin"), "pulumi");
    const built = locateEngine(repo, onPath);
    assert.deepEqual(built, { found: true, binDir: path.join(repo, ".engine", "bin"), source: "built" });

    // A plugin next to the CLI, else on PATH, else nowhere.
    fakeBinary(onPath, "pulumi-resource-tls");
    assert.equal(locatePlugin({ binDir: path.join(repo, ".engine", "bin") }, "pulumi-resource-tls", onPath), path.join(onPath, "pulumi-resource-tls"));
    assert.equal(locatePlugin({ binDir: path.join(repo, ".engine", "bin") }, "pulumi-resource-docker", onPath), undefined);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("no engine anywhere gives the reason and the command to run", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "docstown-locate-"));
  try {
    const result = locateEngine(root, path.join(root, "nothing"));
    assert.equal(result.found, false);
    assert.ok(!result.found && /npm run engine/.test(result.reason) && /no pulumi CLI on PATH/.test(result.reason));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
