// Bad input through the real engine: `pulumi preview` of this repository's program (index.ts, as
// `pulumi up` loads it) on a broken production stack file ends with exactly the `docstown:<path>`
// lines synth prints for the same file, no stack trace, and nothing but the stack declared. Config
// is validated before any provider is registered, so no provider plugin is needed for this.
// Skips with the reason when no engine is found, except under CI=true, where that fails.
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { engineTest } from "./engine-test";

const REPO = path.resolve(__dirname, "..", "..");

/** The committed production stack file, broken in two places the issue names. */
function brokenStackFile(): Record<string, unknown> {
  const doc = parse(fs.readFileSync(path.join(REPO, "Pulumi.production.yaml"), "utf8")) as { config: Record<string, unknown> };
  doc.config["docstown:region"] = "mars1";
  doc.config["docstown:volume"] = { ...(doc.config["docstown:volume"] as object), sizeGb: 5 };
  return doc.config;
}

/** A copy of the project whose sources are links to this checkout; only the stack file is its own. */
interface Project {
  readonly dir: string;
  /** Runs `pulumi <args>` in the project and returns what it did; never throws. */
  pulumi(args: string[]): SpawnSyncReturns<string>;
  cleanup(): void;
}

function project(binDir: string): Project {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "docstown-engine-badcfg-"));
  const dir = path.join(root, "program");
  fs.mkdirSync(dir);
  fs.mkdirSync(path.join(root, "state"));
  fs.copyFileSync(path.join(REPO, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  for (const entry of ["index.ts", "stacks", "src", "policies", "node_modules", "package.json", "tsconfig.json"]) {
    fs.symlinkSync(path.join(REPO, entry), path.join(dir, entry));
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ""}`,
    PULUMI_HOME: path.join(root, "home"),
    PULUMI_BACKEND_URL: `file://${path.join(root, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "bad-config-test",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    NO_COLOR: "1",
  };
  return {
    dir,
    pulumi: (args) => spawnSync(path.join(binDir, "pulumi"), [...args, "--non-interactive"], { cwd: dir, env, encoding: "utf8", timeout: 300_000 }),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/** What `pulumi preview --json` reports: its steps, and its error diagnostics as one text. */
function previewResult(stdout: string): { declared: string[]; errors: string } {
  const doc = JSON.parse(stdout) as { steps?: { urn: string }[]; diagnostics?: { message: string; severity: string }[] };
  return {
    declared: (doc.steps ?? []).map((s) => s.urn.split("::").pop() ?? s.urn),
    errors: (doc.diagnostics ?? []).filter((d) => d.severity === "error").map((d) => d.message).join("\n"),
  };
}

const docstownLines = (text: string) =>
  [...new Set(text.split("\n").map((l) => l.trim().replace(/^error: /, "")).filter((l) => /^docstown:[A-Za-z]/.test(l)))].sort();

engineTest("a broken production stack file: the real engine's preview names the same docstown: keys as synth, with no stack trace and nothing declared", ["pulumi-language-nodejs"], (binDir) => {
  const p = project(binDir);
  try {
    const init = p.pulumi(["stack", "init", "production"]);
    assert.equal(init.status, 0, init.stderr);
    // `stack init` wrote the passphrase salt; the broken settings go beside it.
    const file = path.join(p.dir, "Pulumi.production.yaml");
    const salted = parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    fs.writeFileSync(file, stringify({ ...salted, config: brokenStackFile() }));

    const preview = p.pulumi(["preview", "--stack", "production", "--json"]);
    assert.notEqual(preview.status, 0, "the preview fails");

    const synth = spawnSync(process.execPath, ["--import", "tsx", path.join(REPO, "src/synth/cli.ts"), "--stack", "production", "--config", file], {
      cwd: REPO, encoding: "utf8", timeout: 300_000,
    });
    assert.equal(synth.status, 2, synth.stderr);
    const expected = docstownLines(synth.stderr);
    assert.ok(expected.some((l) => l.startsWith("docstown:region: ")), expected.join("\n"));
    assert.ok(expected.includes("docstown:volume.sizeGb: must be at least 10"), expected.join("\n"));
    assert.ok(expected.some((l) => l.startsWith("docstown:railsMasterKey: missing secret")), expected.join("\n"));
    const { declared, errors } = previewResult(preview.stdout);
    assert.deepEqual(docstownLines(errors), expected, preview.stdout);
    assert.doesNotMatch(`${errors}\n${preview.stderr}`, /\n\s+at .+:\d+:\d+/, "no stack trace");
    assert.deepEqual(declared, ["docstown-production"], "only the stack itself is declared");
  } finally {
    p.cleanup();
  }
});

engineTest("a secret stored in plain text is refused by the program under the real engine, which tells it apart from an encrypted one", ["pulumi-language-nodejs"], (binDir) => {
  const p = project(binDir);
  try {
    assert.equal(p.pulumi(["stack", "init", "local"]).status, 0);
    const file = path.join(p.dir, "Pulumi.local.yaml");
    const salted = parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    const committed = parse(fs.readFileSync(path.join(REPO, "Pulumi.local.yaml"), "utf8")) as { config: Record<string, unknown> };
    fs.writeFileSync(file, stringify({ ...salted, config: committed.config }));
    assert.equal(p.pulumi(["config", "set", "--secret", "docstown:railsMasterKey", "0123456789abcdef0123456789abcdef", "--stack", "local"]).status, 0);
    assert.equal(p.pulumi(["config", "set", "--plaintext", "docstown:githubApiToken", "ghp_writtenInClear", "--stack", "local"]).status, 0);

    const preview = p.pulumi(["preview", "--stack", "local", "--json"]);
    assert.notEqual(preview.status, 0);
    const { declared, errors } = previewResult(preview.stdout);
    assert.deepEqual(docstownLines(errors), [
      "docstown:githubApiToken: stored in plain text; set it with pulumi config set --secret docstown:githubApiToken <value>",
    ], preview.stdout);
    assert.deepEqual(declared, ["docstown-local"], "only the stack itself is declared");
  } finally {
    p.cleanup();
  }
});
