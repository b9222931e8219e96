import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { stateLayout } from "../../engine/local/backend";
import { LocalError } from "../../engine/local/errors";
import { demoSettings } from "../../engine/local/images";
import { commandSpec, type CommandName } from "../../engine/local/pulumi";
import { committedConfig, generatedStackFile, validatedLocalConfig, withSettings } from "../../engine/local/stack-config";

const REPO = join(__dirname, "..", "..");
const COMMITTED = join(REPO, "Pulumi.local.yaml");
const SALT = "v1:AAAAAAAAAAA=:v1:BBBBBBBBBBBBBBBB:CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC";

function demoConfig(overrides: Record<string, string | number | boolean> = {}) {
  return withSettings(committedConfig(readFileSync(COMMITTED, "utf8")), { ...demoSettings("2.11.2", "15"), ...overrides });
}

describe("local:up stack config", () => {
  it("runs the committed local stack on the demo images, from the engine", () => {
    const settings = validatedLocalConfig(demoConfig());
    assert.equal(settings.target, "local");
    assert.equal(`${settings.app.image}:${settings.app.tag}`, "docstown-demo:1");
    assert.equal(settings.app.proxyImage, "docstown-caddy:2.11.2");
    assert.equal(settings.local.postgresImage, "docstown-postgres:15");
    assert.equal(settings.local.imageSource, "daemon");
    assert.deepEqual([settings.local.httpPort, settings.local.httpsPort], [8080, 8443]);
  });

  it("applies overrides over the demo settings without touching the map they came from", () => {
    const base = committedConfig(readFileSync(COMMITTED, "utf8"));
    const before = structuredClone(base);
    const config = withSettings(base, { "local.httpsPort": 19443, "app.tag": "2", domain: "docstown.test" });
    assert.deepEqual(base, before);
    const settings = validatedLocalConfig(config);
    assert.equal(settings.local.httpsPort, 19443);
    assert.equal(settings.local.httpPort, 8080, "sibling keys of the committed map stay");
    assert.equal(settings.app.tag, "2");
    assert.equal(settings.domain, "docstown.test");
  });

  it("reports bad settings with the program's own docstown: lines, exit 2", () => {
    assert.throws(
      () => validatedLocalConfig(demoConfig({ "local.httpsPort": 0, "local.bogus": "x" })),
      (err: unknown) =>
        err instanceof LocalError && err.exitCode === 2 && /^docstown:local\.httpsPort: /m.test(err.message) && /docstown:local\.bogus: unknown key/.test(err.message),
    );
  });

  it("drops secure values of the committed file: they belong to another passphrase", () => {
    const config = committedConfig("config:\n  docstown:target: local\n  docstown:railsMasterKey:\n    secure: v1:abc\n");
    assert.deepEqual(config, { "docstown:target": "local" });
  });

  it("writes the salt and asks for the generated secrets the first time", () => {
    const file = generatedStackFile(demoConfig(), SALT, undefined);
    const doc = parse(file.text) as { encryptionsalt: string; config: Record<string, unknown> };
    assert.equal(doc.encryptionsalt, SALT);
    assert.equal(doc.config["docstown:target"], "local");
    assert.deepEqual((doc.config["docstown:app"] as { tag: unknown }).tag, "1", "the tag stays a string");
    assert.deepEqual([...file.missingSecrets].sort(), ["localPostgresPassword", "railsMasterKey"]);
  });

  it("keeps the secrets of the previous file encrypted under the same salt, and asks for none", () => {
    const previous = [
      `encryptionsalt: ${SALT}`,
      "config:",
      "  docstown:app:",
      "    tag: old",
      "  docstown:railsMasterKey:",
      "    secure: v1:master",
      "  docstown:localPostgresPassword:",
      "    secure: v1:pg",
      "",
    ].join("\n");
    const file = generatedStackFile(demoConfig(), SALT, previous);
    const doc = parse(file.text) as { config: Record<string, unknown> };
    assert.deepEqual(file.missingSecrets, []);
    assert.deepEqual(doc.config["docstown:railsMasterKey"], { secure: "v1:master" });
    assert.equal((doc.config["docstown:app"] as { tag: unknown }).tag, "1", "plain settings come from this run, not the old file");
  });

  it("generates the secrets again when the stack was recreated under a new salt", () => {
    const previous = `encryptionsalt: v1:other\nconfig:\n  docstown:railsMasterKey:\n    secure: v1:master\n`;
    const file = generatedStackFile(demoConfig(), SALT, previous);
    assert.ok(!file.text.includes("v1:master"));
    assert.equal(file.missingSecrets.length, 2);
  });
});

describe("local:up never writes the committed Pulumi.local.yaml", () => {
  const layout = stateLayout("/state/docstown/local");
  const cli = { layout, repoRoot: REPO };
  const names: CommandName[] = ["stackList", "stackInit", "stackExport", "stackOutput", "setSecret", "up", "destroy"];

  it("keeps the generated file in the state dir", () => {
    assert.equal(layout.configFile, "/state/docstown/local/Pulumi.local.yaml");
    assert.notEqual(layout.configFile, COMMITTED);
  });

  it("runs every command that reads the checkout's stack file with --config-file, the rest in the scratch project", () => {
    for (const name of names) {
      const spec = commandSpec(cli, name, "docstown:railsMasterKey");
      if (spec.cwd === layout.project) continue;
      assert.equal(spec.cwd, REPO, name);
      const at = spec.args.indexOf("--config-file");
      assert.ok(at >= 0 && spec.args[at + 1] === layout.configFile, `${name}: ${spec.args.join(" ")}`);
    }
    // stack init has no --config-file: it writes the salt into the stack file of its cwd.
    assert.equal(commandSpec(cli, "stackInit").cwd, layout.project);
  });

  it("runs up and destroy unattended, without a preview run of the program first", () => {
    for (const name of ["up", "destroy"] as const) {
      const args = commandSpec(cli, name).args;
      assert.equal(args[0], name);
      for (const flag of ["--yes", "--skip-preview", "--non-interactive"]) assert.ok(args.includes(flag), `${name}: ${args.join(" ")}`);
    }
  });

  it("finds the committed file without a salt or a secure value (nothing wrote it)", () => {
    const text = readFileSync(COMMITTED, "utf8");
    assert.ok(!/^encryptionsalt:/m.test(text), "a salt here means a stack command ran against the committed file");
    assert.ok(!/secure:/.test(text));
  });
});
