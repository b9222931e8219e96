// The engine `npm run engine` builds (or a pulumi CLI on PATH) runs real programs offline: the
// CLI, the Node.js language host and the provider plugins, on a file backend, with automatic
// plugin downloads turned off. Skips with the reason when no engine is found, except in CI
// (CI=true), where a missing binary is a failure.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TARGETS, targetVersion } from "../../engine/targets";
import { engine, engineTest } from "./engine-test";
import { smokeProject } from "./smoke-program";

/** A program with one component and no provider: what the engine needs without any plugin. */
const BOX_PROGRAM = [
  'import * as pulumi from "@pulumi/pulumi";',
  "class Box extends pulumi.ComponentResource {",
  "  constructor(name: string) {",
  '    super("docstown:smoke:Box", name, {}, {});',
  "    this.registerOutputs({});",
  "  }",
  "}",
  'new Box("box");',
];

engineTest("the CLI prints the version it was stamped with", [], (binDir) => {
  const run = spawnSync(`${binDir}/pulumi`, ["version"], { encoding: "utf8", env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } });
  assert.equal(run.status, 0, run.stderr);
  const cli = TARGETS.find((t) => t.binary === "pulumi");
  assert.ok(cli);
  if (engine.found && engine.source === "built") assert.equal(run.stdout.trim(), targetVersion(cli));
  else assert.match(run.stdout.trim(), /^v3\.\d+\.\d+/);
});

engineTest("the language host runs a TypeScript program on a file backend, no network", ["pulumi-language-nodejs"], (binDir) => {
  const project = smokeProject(
    binDir,
    "smoke-component",
    [],
    [
      ...BOX_PROGRAM,
      'const cfg = new pulumi.Config();',
      'export const greeting = pulumi.output(cfg.require("who")).apply((w) => `hello ${w} from ${pulumi.getStack()}`);',
      'export const secretLength = cfg.requireSecret("token").apply((t) => t.length);',
      "",
    ].join("\n"),
  );
  try {
    project.pulumi(["stack", "init", "dev"]);
    project.pulumi(["config", "set", "who", "engine"]);
    project.pulumi(["config", "set", "--secret", "token", "abcd"]);
    const up = project.pulumi(["up", "--yes", "--skip-preview"]);
    assert.match(up, /docstown:smoke:Box/);
    assert.equal(project.pulumi(["stack", "output", "greeting"]).trim(), "hello engine from dev");
    assert.equal(project.pulumi(["stack", "output", "secretLength", "--show-secrets"]).trim(), "4");
    const state = JSON.parse(project.pulumi(["stack", "export"])) as { deployment: { resources?: { type: string }[] } };
    assert.ok(state.deployment.resources?.some((r) => r.type === "docstown:smoke:Box"), "the component is in the state");
    project.pulumi(["destroy", "--yes", "--skip-preview"]);
  } finally {
    project.cleanup();
  }
});

engineTest("a program that throws fails pulumi up with the SDK's own message", ["pulumi-language-nodejs"], (binDir) => {
  const project = smokeProject(
    binDir,
    "smoke-throws",
    [],
    ['import * as pulumi from "@pulumi/pulumi";', 'new pulumi.Config().require("missingKey");', ""].join("\n"),
  );
  try {
    project.pulumi(["stack", "init", "dev"]);
    assert.throws(() => project.pulumi(["up", "--yes", "--skip-preview"]), /Missing required configuration variable 'smoke-throws:missingKey'/);
  } finally {
    project.cleanup();
  }
});

engineTest("pulumi preview runs this repository's policy pack, which refuses a stack without the volume", ["pulumi-language-nodejs"], (binDir) => {
  const project = smokeProject(
    binDir,
    "smoke-policy",
    [],
    [
      ...BOX_PROGRAM,
      "",
    ].join("\n"),
  );
  try {
    project.pulumi(["stack", "init", "dev"]);
    const policies = join(__dirname, "..", "..", "policies");
    assert.throws(
      () => project.pulumi(["preview", "--policy-pack", policies]),
      (err: Error) =>
        /\[mandatory\]\s+persistent-volume-presence/.test(err.message) &&
        /the stack has no droplet and no DocsTown container/.test(err.message),
    );
  } finally {
    project.cleanup();
  }
});

engineTest("the engine learns the program's provider plugins and versions from the language host", ["pulumi-language-nodejs"], (binDir) => {
  const project = smokeProject(binDir, "smoke-about", ["@pulumi/tls", "@pulumi/docker"], "export const x = 1;\n");
  try {
    project.pulumi(["stack", "init", "dev"]);
    const about = JSON.parse(project.pulumi(["about", "--json"])) as {
      plugins: { name: string; version: string; kind: string }[];
      dependencies: { name: string; version: string }[];
    };
    const lockVersion = (pkg: string) =>
      (JSON.parse(readFileSync(join(__dirname, "..", "..", "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
    const plugins = about.plugins.map((p) => `${p.kind} ${p.name} ${p.version}`).sort();
    assert.ok(plugins.includes(`resource tls ${lockVersion("@pulumi/tls")}`), plugins.join(", "));
    assert.ok(plugins.includes(`resource docker ${lockVersion("@pulumi/docker")}`), plugins.join(", "));
    assert.ok(plugins.some((p) => p.startsWith("language nodejs ")), plugins.join(", "));
    assert.ok(about.dependencies.some((d) => d.name === "@pulumi/pulumi" && d.version === lockVersion("@pulumi/pulumi")));
  } finally {
    project.cleanup();
  }
});

// No tls smoke test: the tls plugin cannot be built here (its modules are refused; README, Engine
// build), and the local stack no longer needs it. Production's tls resources are checked under
// the mocks only.

const dockerUp = spawnSync("docker", ["info"], { stdio: "ignore" }).status === 0;
engineTest("the docker provider creates and destroys a network on the local engine", ["pulumi-language-nodejs", "pulumi-resource-docker"], (binDir) => {
  if (!dockerUp) assert.fail("no Docker engine answers `docker info`");
  const networkName = `docstown-engine-smoke-${process.pid}`;
  const project = smokeProject(
    binDir,
    "smoke-docker",
    ["@pulumi/docker"],
    [
      'import * as docker from "@pulumi/docker";',
      `const net = new docker.Network("net", { name: "${networkName}" });`,
      "export const networkId = net.id;",
      "",
    ].join("\n"),
  );
  const inspect = () => spawnSync("docker", ["network", "inspect", networkName], { stdio: "ignore" }).status === 0;
  try {
    project.pulumi(["stack", "init", "dev"]);
    project.pulumi(["up", "--yes", "--skip-preview"]);
    assert.ok(inspect(), `network ${networkName} exists after pulumi up`);
    project.pulumi(["destroy", "--yes", "--skip-preview"]);
    assert.ok(!inspect(), `network ${networkName} is gone after pulumi destroy`);
  } finally {
    spawnSync("docker", ["network", "rm", networkName], { stdio: "ignore" });
    project.cleanup();
  }
});
