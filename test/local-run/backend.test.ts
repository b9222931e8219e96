import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { pulumiEnv, prepareState, saltFromExport, scratchProjectYaml, stackNames, stateLayout } from "../../engine/local/backend";
import { LocalError } from "../../engine/local/errors";

describe("local:up state dir", () => {
  it("keeps backend, passphrase, home, scratch project, config and logs under one dir", () => {
    const layout = stateLayout("/s");
    for (const [key, value] of Object.entries(layout)) assert.ok(value === "/s" || value.startsWith("/s/"), `${key}: ${value}`);
  });

  it("makes the passphrase once, 0600, and keeps it on the next run", () => {
    const dir = mkdtempSync(join(tmpdir(), "local-run-state-"));
    try {
      const layout = stateLayout(join(dir, "local"));
      prepareState(layout, "docstown");
      const first = readFileSync(layout.passphrase, "utf8");
      assert.match(first, /^[A-Za-z0-9_-]{43}\n$/);
      assert.equal(statSync(layout.passphrase).mode & 0o777, 0o600);
      assert.equal(statSync(layout.dir).mode & 0o777, 0o700);
      prepareState(layout, "docstown");
      assert.equal(readFileSync(layout.passphrase, "utf8"), first);
      assert.match(readFileSync(join(layout.project, "Pulumi.yaml"), "utf8"), /^name: docstown$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names the project like Pulumi.yaml, so the scratch project addresses the same stacks", () => {
    const committed = readFileSync(join(__dirname, "..", "..", "Pulumi.yaml"), "utf8");
    const name = /^name: (\S+)$/m.exec(committed)?.[1];
    assert.equal(name, "docstown");
    assert.match(scratchProjectYaml(name ?? ""), /^name: docstown\nruntime: nodejs\n$/m);
  });
});

describe("local:up pulumi environment", () => {
  const layout = stateLayout("/s");
  const env = pulumiEnv(layout, "/engine/bin", { PATH: "/usr/bin", PULUMI_CONFIG_PASSPHRASE: "theirs", HOME: "/home/u" });

  it("points at the file backend and the passphrase file, with no downloads and no update check", () => {
    assert.equal(env.PULUMI_BACKEND_URL, "file:///s/backend");
    assert.equal(env.PULUMI_CONFIG_PASSPHRASE_FILE, "/s/passphrase");
    assert.equal(env.PULUMI_HOME, "/s/pulumi-home");
    assert.equal(env.PULUMI_SKIP_UPDATE_CHECK, "true");
    assert.equal(env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION, "true");
    assert.equal(env.HOME, "/home/u");
  });

  it("drops a passphrase from the caller's environment, which would win over the file", () => {
    assert.equal(env.PULUMI_CONFIG_PASSPHRASE, undefined);
  });

  it("puts the engine's plugins first on PATH", () => {
    assert.equal(env.PATH, "/engine/bin:/usr/bin");
  });

  it("runs the program without ts-node's type check, by the variable the installed SDK reads", () => {
    assert.equal(env.PULUMI_NODEJS_TRANSPILE_ONLY, "true");
    const runner = readFileSync(require.resolve("@pulumi/pulumi/cmd/run/run.js"), "utf8");
    assert.match(runner, /process\.env\["PULUMI_NODEJS_TRANSPILE_ONLY"\]/, "the SDK no longer reads PULUMI_NODEJS_TRANSPILE_ONLY");
  });
});

describe("local:up stack bookkeeping", () => {
  it("reads stack names from pulumi stack ls --json", () => {
    assert.deepEqual(stackNames('[{"name":"local","current":true}]'), ["local"]);
    assert.deepEqual(stackNames("[]"), []);
  });

  it("reads the passphrase salt from pulumi stack export", () => {
    const exported = JSON.stringify({ version: 3, deployment: { secrets_providers: { type: "passphrase", state: { salt: "v1:abc" } } } });
    assert.equal(saltFromExport(exported), "v1:abc");
  });

  it("refuses a stack whose secrets are not under a passphrase", () => {
    const exported = JSON.stringify({ version: 3, deployment: { secrets_providers: { type: "service", state: {} } } });
    assert.throws(() => saltFromExport(exported), (err: unknown) => err instanceof LocalError && /no passphrase secrets provider \(service\)/.test(err.message));
  });
});
