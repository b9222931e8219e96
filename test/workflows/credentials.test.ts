// Where the workflows' credentials may appear. Every secret lives in a GitHub environment, so a
// job outside one sees none; pull requests reach secrets only through the `preview` environment,
// whose required reviewers approve each run; a preview holds no SSH key; the outside-in check
// holds no Pulumi token; the `production` environment is used only by pushes to main.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";

const WORKFLOW_DIR = path.resolve(__dirname, "..", "..", ".github", "workflows");

type Mapping = Record<string, unknown>;

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Mapping;
  env?: Mapping;
}

interface Job {
  if?: string;
  environment?: string | { name?: string };
  env?: Mapping;
  steps?: Step[];
}

interface WorkflowFile {
  name: string;
  text: string;
  on: Mapping;
  env?: Mapping;
  jobs: [string, Job][];
}

/**
 * A job may load an SSH key in a pull-request workflow only if its text carries this marker
 * followed by the reason, e.g. `# preview-needs-ssh: <why the preview connects to the host>`.
 */
const SSH_EXCEPTION = /#\s*preview-needs-ssh:\s*\S/;
const VERIFY = "npm run verify";
const PULL_REQUEST_EVENTS = ["pull_request", "pull_request_target"];

function triggersOf(on: unknown): Mapping {
  if (typeof on === "string") return { [on]: null };
  if (Array.isArray(on)) return Object.fromEntries(on.map((e) => [String(e), null]));
  return (on ?? {}) as Mapping;
}

function load(name: string): WorkflowFile {
  const text = readFileSync(path.join(WORKFLOW_DIR, name), "utf8");
  const doc = parse(text) as { on?: unknown; env?: Mapping; jobs?: Record<string, Job> };
  return { name, text, on: triggersOf(doc.on), env: doc.env, jobs: Object.entries(doc.jobs ?? {}) };
}

const workflows = readdirSync(WORKFLOW_DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()
  .map(load);

function workflow(name: string): WorkflowFile {
  const found = workflows.find((w) => w.name === name);
  assert.ok(found, `.github/workflows/${name} is missing`);
  return found;
}

function environmentOf(job: Job): string | undefined {
  return typeof job.environment === "string" ? job.environment : job.environment?.name;
}

/** Names of the secrets a value refers to (`${{ secrets.NAME }}`, `secrets['NAME']`). */
function secretsIn(value: unknown): string[] {
  const text = JSON.stringify(value ?? null);
  return [...text.matchAll(/\bsecrets(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\\?['"]([^'"\\]+)\\?['"]\])/g)].map((m) => m[1] ?? m[2] ?? "");
}

/** The job's own lines in the file (comments included, which the parsed YAML drops). */
function jobText(w: WorkflowFile, jobId: string): string {
  const lines = w.text.split("\n");
  const start = lines.findIndex((l) => l === `  ${jobId}:`);
  assert.ok(start >= 0, `${w.name}: job ${jobId} is not at two-space indentation`);
  let end = start + 1;
  while (end < lines.length && !/^ {2}[\w-]+:\s*$/.test(lines[end]!) && !/^\S/.test(lines[end]!)) end++;
  return lines.slice(start, end).join("\n");
}

function loadsSshKey(job: Job): boolean {
  return (job.steps ?? []).some((s) => /\bssh-add\b/.test(s.run ?? "") || secretsIn(s).some((n) => /SSH/i.test(n)))
    || secretsIn(job.env).some((n) => /SSH/i.test(n));
}

function isPullRequestWorkflow(w: WorkflowFile): boolean {
  return PULL_REQUEST_EVENTS.some((e) => e in w.on);
}

describe("workflow credentials", () => {
  it("finds the workflows", () => {
    for (const name of ["ci.yml", "deploy.yml", "preview.yml", "probe.yml"]) workflow(name);
  });

  it("references secrets only inside jobs that run in a GitHub environment", () => {
    const problems: string[] = [];
    for (const w of workflows) {
      if (secretsIn(w.env).length > 0) problems.push(`${w.name}: workflow-level env uses secrets`);
      for (const [jobId, job] of w.jobs) {
        const names = secretsIn(job).filter((n) => n !== "GITHUB_TOKEN");
        if (names.length > 0 && environmentOf(job) === undefined) {
          problems.push(`${w.name} job ${jobId}: secrets.${names.join(", secrets.")} outside an environment`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it("runs a pull request's code with secrets only in the preview environment (required reviewers)", () => {
    const problems: string[] = [];
    for (const w of workflows.filter(isPullRequestWorkflow)) {
      for (const [jobId, job] of w.jobs) {
        const names = secretsIn(job).filter((n) => n !== "GITHUB_TOKEN");
        if (names.length > 0 && environmentOf(job) !== "preview") {
          problems.push(`${w.name} job ${jobId}: uses secrets in environment ${environmentOf(job) ?? "(none)"}, not preview`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it("the pull-request preview exists, runs in the preview environment and skips forks and Dependabot", () => {
    const w = workflow("preview.yml");
    const previews = w.jobs.filter(([, job]) => (job.steps ?? []).some((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.command === "preview"));
    assert.equal(previews.length, 1, "preview.yml must have one job running pulumi preview");
    const [jobId, job] = previews[0]!;
    assert.equal(environmentOf(job), "preview", `${jobId} is not in the preview environment`);
    for (const name of ["PULUMI_ACCESS_TOKEN", "DIGITALOCEAN_TOKEN", "CLOUDFLARE_API_TOKEN"]) {
      assert.ok(secretsIn(job).includes(name), `${jobId} does not pass ${name} from the environment`);
    }
    // Forks get no secrets at all; waiting for an approval that cannot help would only block.
    assert.match(job.if ?? "", /github\.event\.pull_request\.head\.repo\.full_name\s*==\s*github\.repository/, `${jobId}.if does not skip forks`);
    assert.match(job.if ?? "", /dependabot\[bot\]/, `${jobId}.if does not skip Dependabot`);
    assert.ok(!("pull_request_target" in w.on), "preview.yml must not run on pull_request_target");
  });

  it("loads no SSH key into a pull-request job (unless marked # preview-needs-ssh: <reason>)", () => {
    const problems: string[] = [];
    for (const w of workflows) {
      for (const [jobId, job] of w.jobs) {
        const inPreview = isPullRequestWorkflow(w) || environmentOf(job) === "preview";
        if (inPreview && loadsSshKey(job) && !SSH_EXCEPTION.test(jobText(w, jobId))) {
          problems.push(`${w.name} job ${jobId}: loads an SSH key in a pull-request job`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it("the Docker provider installed is one whose configure step does not dial the host (@pulumi/docker >= 5)", () => {
    // preview.yml's header cites the source: a downgrade would make previews connect over SSH.
    const { version } = JSON.parse(readFileSync(require.resolve("@pulumi/docker/package.json"), "utf8")) as { version: string };
    assert.ok(Number(version.split(".")[0]) >= 5, `@pulumi/docker ${version}`);
  });

  it("the exception marker needs a reason, and the SSH detector sees ssh-add and SSH secrets", () => {
    assert.ok(SSH_EXCEPTION.test("      # preview-needs-ssh: the provider reads containers"));
    assert.ok(!SSH_EXCEPTION.test("      # preview-needs-ssh:"));
    assert.ok(loadsSshKey({ steps: [{ run: "printf '%s' \"$K\" | ssh-add -" }] }));
    assert.ok(loadsSshKey({ steps: [{ env: { K: "${{ secrets.DEPLOY_SSH_KEY }}" } }] }));
    assert.ok(!loadsSshKey({ steps: [{ env: { K: "${{ secrets.DIGITALOCEAN_TOKEN }}" } }] }));
  });

  it("gives the outside-in check (npm run verify) no Pulumi token", () => {
    const problems: string[] = [];
    for (const w of workflows) {
      for (const [jobId, job] of w.jobs) {
        const steps = job.steps ?? [];
        const verifySteps = steps.filter((s) => (s.run ?? "").includes(VERIFY));
        if (verifySteps.length === 0) continue;
        for (const s of verifySteps) {
          if (JSON.stringify(s.env ?? {}).includes("PULUMI_ACCESS_TOKEN")) problems.push(`${w.name} job ${jobId}: step "${s.name}" gets PULUMI_ACCESS_TOKEN`);
        }
        if (JSON.stringify(job.env ?? {}).includes("PULUMI_ACCESS_TOKEN")) problems.push(`${w.name} job ${jobId}: job env passes PULUMI_ACCESS_TOKEN to verify`);
        if (JSON.stringify(w.env ?? {}).includes("PULUMI_ACCESS_TOKEN")) problems.push(`${w.name}: workflow env passes PULUMI_ACCESS_TOKEN to verify`);
        // A job that only verifies needs no Pulumi at all.
        const runsPulumi = steps.some((s) => s.uses?.startsWith("pulumi/actions@") || /\bpulumi\s/.test(s.run ?? ""));
        if (!runsPulumi && JSON.stringify(job).includes("PULUMI_ACCESS_TOKEN")) problems.push(`${w.name} job ${jobId}: verify-only job references PULUMI_ACCESS_TOKEN`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it("uses the production environment only on pushes to main", () => {
    const problems: string[] = [];
    let productionJobs = 0;
    for (const w of workflows) {
      for (const [jobId, job] of w.jobs) {
        if (environmentOf(job) !== "production") continue;
        productionJobs++;
        const events = Object.keys(w.on);
        const extra = events.filter((e) => e !== "push" && e !== "workflow_dispatch");
        if (extra.length > 0) problems.push(`${w.name}: production job ${jobId} also runs on ${extra.join(", ")}`);
        const branches = (w.on.push as { branches?: unknown } | null | undefined)?.branches;
        if (!Array.isArray(branches) || branches.length !== 1 || branches[0] !== "main") {
          problems.push(`${w.name}: production job ${jobId} runs on pushes to ${JSON.stringify(branches ?? "every branch")}, not main only`);
        }
        // A manual dispatch can name any branch: the job itself must refuse anything but main.
        if (!/github\.ref\s*==\s*'refs\/heads\/main'/.test(job.if ?? "")) {
          problems.push(`${w.name}: production job ${jobId} has no if: github.ref == 'refs/heads/main'`);
        }
      }
    }
    assert.ok(productionJobs > 0, "no job deploys in the production environment");
    assert.deepEqual(problems, []);
  });
});
