import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { test } from "node:test";
import { readStackFile } from "../src/synth/stack-file";
import { PROJECT_DIR } from "./harness";

/**
 * `pulumi up` loads `main` through ts-node with the project's tsconfig.json and type checking on
 * (@pulumi/pulumi cmd/run). This starts the real entry point the same way, under the SDK's mocks,
 * so module settings that only tsx tolerates cannot slip in.
 */
const script = `
const pulumi = require("@pulumi/pulumi");
require("ts-node").register({ project: "tsconfig.json", transpileOnly: false, compiler: require.resolve("typescript") });
const { config, secretKeys } = JSON.parse(process.env.DOCSTOWN_TEST_CONFIG);
pulumi.runtime.setAllConfig(config, secretKeys);
const { createMocks } = require("./src/synth/mocks.ts");
const mocks = createMocks();
const types = new Set();
pulumi.runtime.setMocks({
  newResource: (args) => { types.add(args.type); return mocks.newResource(args); },
  call: (args) => mocks.call(args),
}, "docstown", "production", false).then(() => pulumi.runtime.runInPulumiStack(() => require("./index.ts")))
  .then(() => { console.log(JSON.stringify([...types].sort())); })
  .catch((err) => { console.log(JSON.stringify([...types].sort())); console.error((pulumi.RunError.isInstance(err) ? "RunError: " : "") + (err && err.message)); process.exit(1); });
`;

test("the entry point loads and runs under ts-node with type checking, as pulumi up runs it", () => {
  const { config, secretKeys } = readStackFile(resolve(PROJECT_DIR, "Pulumi.production.yaml"), true);
  const run = spawnSync(process.execPath, ["-e", script], {
    cwd: PROJECT_DIR, encoding: "utf8", timeout: 120_000,
    env: { ...process.env, DOCSTOWN_TEST_CONFIG: JSON.stringify({ config, secretKeys }) },
  });
  assert.equal(run.status, 0, run.stderr);
  const types = JSON.parse(run.stdout.trim().split("\n").pop() ?? "[]") as string[];
  for (const type of ["digitalocean:index/droplet:Droplet", "digitalocean:index/volumeAttachment:VolumeAttachment", "docker:index/container:Container", "cloudflare:index/dnsRecord:DnsRecord"]) {
    assert.ok(types.includes(type), `${type} declared through index.ts`);
  }
});

test("a bad config stops the program with a RunError listing every problem (no stack trace) before any resource", () => {
  const { config, secretKeys } = readStackFile(resolve(PROJECT_DIR, "Pulumi.production.yaml"), true);
  const bad = { ...config, "docstown:region": "mars1", "docstown:volume": JSON.stringify({ sizeGb: 5 }) };
  const run = spawnSync(process.execPath, ["-e", script], {
    cwd: PROJECT_DIR, encoding: "utf8", timeout: 120_000,
    env: { ...process.env, DOCSTOWN_TEST_CONFIG: JSON.stringify({ config: bad, secretKeys }) },
  });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /RunError: invalid stack configuration:\n {2}docstown:region: must be one of [^\n]+\n {2}docstown:volume\.sizeGb: must be at least 10/);
  assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
  assert.deepEqual(JSON.parse(run.stdout.trim()), [], "no resource was declared");
});
