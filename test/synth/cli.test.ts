import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { PROJECT_DIR } from "../harness";

function synth(...args: string[]) {
  const run = spawnSync(process.execPath, ["--import", "tsx", "src/synth/cli.ts", ...args], {
    cwd: PROJECT_DIR, encoding: "utf8", timeout: 60_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function tempStackFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "synth-"));
  const file = join(dir, "Pulumi.test.yaml");
  writeFileSync(file, text);
  return file;
}

const productionText = readFileSync(join(PROJECT_DIR, "Pulumi.production.yaml"), "utf8");

describe("npm run synth", () => {
  test("--json renders the production graph with every secret as [secret]", () => {
    const { code, stdout, stderr } = synth("--stack", "production", "--placeholder-secrets", "--json");
    assert.equal(code, 0, stderr);
    const doc = JSON.parse(stdout) as {
      project: string; stack: string; outputs: Record<string, unknown>;
      resources: {
        urn: string; type: string; name: string; id: string | null; custom: boolean; parent: string | null; provider: string | null;
        inputs: unknown; options: unknown; propertyDependencies: Record<string, string[]>;
      }[];
      violations: { policy: string; enforcementLevel: string; urn?: string; message: string }[];
    };
    assert.equal(doc.project, "docstown");
    assert.equal(doc.stack, "production");
    assert.ok(doc.resources.length > 0);
    for (const r of doc.resources) {
      assert.deepEqual(Object.keys(r).sort(), ["custom", "id", "inputs", "name", "options", "parent", "propertyDependencies", "provider", "type", "urn"]);
    }
    assert.deepEqual(doc.violations.filter((v) => v.enforcementLevel === "mandatory"), []);
    for (const v of doc.violations) assert.deepEqual(Object.keys(v).sort(), ["enforcementLevel", "message", "policy", "urn"]);
    assert.ok(!stdout.includes("placeholder:"), "no secret value may reach the JSON document");
  });

  // One render of the production table serves the tests that read it (each run is a process).
  let table: ReturnType<typeof synth> | undefined;
  const productionTable = () => (table ??= synth("--stack", "production", "--placeholder-secrets"));

  test("the table names the resources and the policy result", () => {
    const { code, stdout, stderr } = productionTable();
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^docstown\/production: \d+ resources/);
    assert.match(stdout, /\nPolicies:\n {2}✔ no mandatory violations\n/);
    assert.doesNotMatch(stdout, /\[mandatory\]/);
    assert.match(stdout, /\nPlaceholder secrets: docstown:anthropicApiKey, docstown:githubApiToken, .*docstown:smtpUsername, docstown:volumeSnapshotToken\n$/);
  });

  test("the table shows the server, volume and app facts an operator looks for", () => {
    const { stdout } = productionTable();
    assert.match(stdout, /\ndigitalocean:Droplet +docstown-droplet +size=s-2vcpu-4gb image=ubuntu-24-04-x64 region=fra1 monitoring=true delete-before-replace\n/);
    assert.match(stdout, /\ndigitalocean:Volume +docstown-repos-volume +size=50GB fs=ext4 protected\n/);
    assert.match(stdout, /\ndocker:Container +docstown-web +role=web image=sha256:[0-9a-f]{64} after=docstown-migrate\n/);
  });

  test("the local stack renders with no cloud credentials at all", () => {
    const { code, stdout, stderr } = synth("--stack", "local", "--placeholder-secrets");
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^docstown\/local: \d+ resources/);
    assert.doesNotMatch(stdout, /digitalocean:|cloudflare:/);
    assert.match(stdout, /\ndocker:Container +docstown-proxy +role=proxy .*ports=8080:\d+,8443:\d+/);
  });

  test("secrets render as [secret], env entries keep their names", () => {
    const { stdout } = synth("--stack", "production", "--placeholder-secrets", "--json");
    const doc = JSON.parse(stdout) as { outputs: { database: { urls: Record<string, string> } }; resources: { name: string; inputs: Record<string, unknown> }[] };
    assert.deepEqual(doc.outputs.database.urls, {
      DATABASE_URL: "[secret]", CACHE_DATABASE_URL: "[secret]", QUEUE_DATABASE_URL: "[secret]", CABLE_DATABASE_URL: "[secret]",
    });
    const web = doc.resources.find((r) => r.name === "docstown-web");
    const envs = (web?.inputs["envs"] ?? []) as string[];
    assert.ok(envs.includes("RAILS_MASTER_KEY=[secret]"), envs.join("\n"));
    assert.ok(envs.includes("RAILS_ENV=production"), "plain variables stay readable");
  });

  test("an encrypted secret becomes a placeholder, marked secret", () => {
    const file = tempStackFile(`${productionText}  docstown:slackWebhookUrl:\n    secure: AAABAKx0ZXN0\n`);
    const { code, stdout, stderr } = synth("--stack", "production", "--config", file, "--placeholder-secrets", "--json");
    assert.equal(code, 0, stderr);
    const doc = JSON.parse(stdout) as { resources: { type: string; inputs: Record<string, unknown> }[] };
    const alert = doc.resources.find((r) => r.type === "digitalocean:index/uptimeAlert:UptimeAlert");
    assert.deepEqual(alert?.inputs["notifications"], [{ emails: ["ops@docstown.org"], slacks: [{ channel: "#ops", url: "[secret]" }] }]);
  });

  test("a mandatory policy violation exits 1 and is named in the table", () => {
    const file = tempStackFile(`${productionText}  docstown:cloudflare:\n    sslStrict: false\n`);
    const { code, stdout } = synth("--stack", "production", "--config", file, "--placeholder-secrets");
    assert.equal(code, 1);
    assert.match(stdout, /✘ \[mandatory\] cloudflare-ssl-strict: /);
  });

  test("the pack checks the configured mount path, not its default", () => {
    const file = tempStackFile(productionText.replace("mountPath: /data/repos", "mountPath: /srv/repos"));
    const { code, stdout, stderr } = synth("--stack", "production", "--config", file, "--placeholder-secrets");
    assert.equal(code, 0, stdout + stderr);
  });

  test("bad config: every problem on its own line, exit 2, no stack trace", () => {
    const file = tempStackFile(productionText.replace("docstown:region: fra1", "docstown:region: mars1").replace("sizeGb: 50", "sizeGb: 5"));
    const { code, stdout, stderr } = synth("--stack", "production", "--config", file, "--placeholder-secrets");
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.deepEqual(stderr.trim().split("\n"), [
      "docstown:region: must be one of nyc1, nyc3, sfo2, sfo3, ams3, sgp1, lon1, fra1, tor1, blr1, syd1, atl1",
      "docstown:volume.sizeGb: must be at least 10",
    ]);
  });

  test("encrypted values need --placeholder-secrets", () => {
    const file = tempStackFile(`${productionText}  docstown:sentryDsn:\n    secure: AAABAKx0ZXN0\n`);
    const { code, stderr } = synth("--stack", "production", "--config", file);
    assert.equal(code, 2);
    assert.equal(stderr.trim(), "docstown:sentryDsn: is encrypted (secure:) and cannot be read offline; run with --placeholder-secrets");
  });

  test("a secret written in plain text in the stack file exits 2 naming the key, with or without placeholders", () => {
    const file = tempStackFile(`${productionText}  docstown:githubApiToken: ghp_plainTextTokenInGit0123456789abcdef\n`);
    for (const flags of [["--placeholder-secrets"], ["--placeholder-secrets", "--json"], []]) {
      const { code, stdout, stderr } = synth("--stack", "production", "--config", file, ...flags);
      assert.equal(code, 2, `${flags.join(" ")}: ${stdout}`);
      assert.equal(stdout, "");
      assert.equal(stderr.trim(), "docstown:githubApiToken: stored in plain text; set it with pulumi config set --secret docstown:githubApiToken <value>");
      assert.ok(!stderr.includes("ghp_"), "the message must not repeat the value");
    }
  });

  test("provider credentials in the stack file exit 2, plain or encrypted", () => {
    const file = tempStackFile(`${productionText}  digitalocean:token: dop_v1_plain\n  cloudflare:apiToken:\n    secure: AAABAKx0ZXN0\n`);
    const { code, stdout, stderr } = synth("--stack", "production", "--config", file, "--placeholder-secrets");
    assert.equal(code, 2, stdout);
    assert.deepEqual(stderr.trim().split("\n"), [
      "cloudflare:apiToken: kept in the stack config, where whoever can decrypt the stack can use it; remove it (pulumi config rm cloudflare:apiToken) and set CLOUDFLARE_API_TOKEN in the environment instead",
      "digitalocean:token: stored in plain text; remove it (pulumi config rm digitalocean:token) and set DIGITALOCEAN_TOKEN in the environment instead",
    ]);
  });

  test("missing secrets without --placeholder-secrets are named", () => {
    const { code, stderr } = synth("--stack", "local");
    assert.equal(code, 2);
    assert.equal(stderr.trim(), "docstown:railsMasterKey: missing secret; set it with: pulumi config set --secret docstown:railsMasterKey <value>");
  });

  test("bad flags and missing files are one clear line", () => {
    const unknown = synth("--stack", "production", "--yolo");
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^synth: Unknown option '--yolo'/);
    const noStack = synth();
    assert.equal(noStack.code, 2);
    assert.match(noStack.stderr, /^synth: --stack is required/);
    const missing = synth("--stack", "staging");
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Pulumi\.staging\.yaml: cannot read the stack config file/);
  });
});
