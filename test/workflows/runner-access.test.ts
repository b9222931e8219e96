// The GitHub-hosted runner path in the workflows: the deploy and drift jobs open SSH for their
// runner, tunnel to the database, and close both whatever happened; the sweeper; the release
// dispatch. Structure is read from the files; the open/close steps' commands are then run, in the
// order and under the `if:` conditions GitHub would apply (./job-simulator.ts), against the
// loopback fake of DigitalOcean's API, for a job that succeeds, fails, is cancelled, or whose
// open or close fails.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { parse } from "yaml";
import { SWEEP_AFTER_MINUTES } from "../../src/runner-access/openings";
import { jobEnv, runCli } from "../runner-access/cli-harness";
import { startFakeDo, type FakeDo } from "../runner-access/fake-do";
import { evaluate, simulateJob, stepLabel, type SimStep, type StepResult } from "./job-simulator";

const WORKFLOW_DIR = path.resolve(__dirname, "..", "..", ".github", "workflows");

interface Job {
  if?: string;
  environment?: string | { name?: string };
  "timeout-minutes"?: number;
  permissions?: Record<string, string>;
  env?: Record<string, unknown>;
  concurrency?: unknown;
  steps?: (SimStep & { "timeout-minutes"?: number })[];
}
interface Workflow {
  on: Record<string, unknown>;
  concurrency?: { group?: string; "cancel-in-progress"?: boolean } | string;
  jobs: Record<string, Job>;
}

function load(name: string): Workflow {
  return parse(readFileSync(path.join(WORKFLOW_DIR, name), "utf8")) as Workflow;
}
const all = readdirSync(WORKFLOW_DIR).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => ({ file: f, wf: load(f) }));

const RA = /npm run --silent runner-access -- (\S+)(.*)$/m;
const command = (step: SimStep) => RA.exec(step.run ?? "")?.[1];
const isPulumi = (step: SimStep) => (step.uses?.startsWith("pulumi/actions@") && step.with?.["command"] !== undefined) || /\bpulumi (up|refresh|preview)\b/.test(step.run ?? "");
const envName = (job: Job) => (typeof job.environment === "string" ? job.environment : job.environment?.name);

/** Every job that opens SSH for its runner, with the index of each step that matters. */
function openingJobs() {
  return all.flatMap(({ file, wf }) => Object.entries(wf.jobs).flatMap(([jobId, job]) => {
    const steps = job.steps ?? [];
    const at = (c: string) => steps.findIndex((s) => command(s) === c);
    if (at("open") < 0) return [];
    return [{ file, jobId, job, steps, open: at("open"), close: at("close"), targets: at("targets"), tunnelOpen: at("tunnel-open"), tunnelClose: at("tunnel-close"), pulumi: steps.findIndex(isPulumi) }];
  }));
}

describe("workflows: SSH and database access of GitHub-hosted runners", () => {
  test("deploy.yml's deploy job and probe.yml's drift job open SSH for their runner", () => {
    assert.deepEqual(openingJobs().map((j) => `${j.file}:${j.jobId}`).sort(), ["deploy.yml:deploy", "probe.yml:drift"]);
  });

  for (const j of openingJobs()) {
    describe(`${j.file} job ${j.jobId}`, () => {
      test("order: targets, open, tunnel, pulumi, tunnel close, close", () => {
        const order = [j.targets, j.open, j.tunnelOpen, j.pulumi, j.tunnelClose, j.close];
        assert.ok(order.every((i) => i >= 0), `missing a step: ${order.join(", ")}`);
        assert.deepEqual([...order].sort((a, b) => a - b), order, `steps out of order: ${order.join(", ")}`);
      });

      test("open, tunnel and pulumi run only while everything before succeeded; the closes run always, unless their open never started", () => {
        for (const i of [j.targets, j.open, j.tunnelOpen, j.pulumi]) assert.equal(j.steps[i]!.if, undefined, `${stepLabel(j.steps[i]!)} has an if:`);
        const openId = j.steps[j.open]!.id;
        const tunnelId = j.steps[j.tunnelOpen]!.id;
        assert.ok(openId && tunnelId, "the open and tunnel steps need ids for their closes");
        assert.equal(j.steps[j.close]!.if, `always() && steps.${openId}.outcome != 'skipped'`);
        assert.equal(j.steps[j.tunnelClose]!.if, `always() && steps.${tunnelId}.outcome != 'skipped'`);
        const jobFlag = (i: number) => /--job (\S+)/.exec(j.steps[i]!.run ?? "")?.[1];
        assert.equal(jobFlag(j.open), j.jobId);
        assert.equal(jobFlag(j.close), j.jobId, "close names another job's opening");
      });

      test("the firewall token goes to the open and close steps only, never to Pulumi or the job", () => {
        const holders = j.steps.filter((s) => JSON.stringify(s).includes("secrets.DIGITALOCEAN_FIREWALL_TOKEN")).map(stepLabel);
        assert.deepEqual(holders, [stepLabel(j.steps[j.open]!), stepLabel(j.steps[j.close]!)]);
        assert.doesNotMatch(JSON.stringify(j.job.env ?? {}), /FIREWALL/);
        assert.ok(envName(j.job), "an opening job outside a GitHub environment");
      });

      test(`the sweeper's bound (${SWEEP_AFTER_MINUTES} min) is longer than the job can run`, () => {
        const minutes = j.job["timeout-minutes"];
        assert.ok(typeof minutes === "number" && minutes < SWEEP_AFTER_MINUTES, `timeout-minutes ${minutes}`);
        const stepTimeout = j.steps[j.pulumi]!["timeout-minutes"];
        assert.ok(typeof stepTimeout === "number" && stepTimeout < minutes, "pulumi's step timeout must leave the close steps time inside the job's");
      });

      test("the database name maps to the tunnel, and nothing widens operators.databaseCidrs", () => {
        assert.match(j.steps[j.tunnelOpen]!.run ?? "", /echo "127\.0\.0\.1 \$DOCSTOWN_DB_HOST" \| sudo tee -a \/etc\/hosts/);
      });
    });
  }

  test("the firewall token lives only in the environments of the jobs that open, close or sweep", () => {
    const holders: string[] = [];
    for (const { file, wf } of all) {
      for (const [jobId, job] of Object.entries(wf.jobs)) {
        if (JSON.stringify(job).includes("DIGITALOCEAN_FIREWALL_TOKEN")) holders.push(`${file}:${jobId}@${envName(job)}`);
      }
    }
    assert.deepEqual(holders.sort(), ["deploy.yml:deploy@production", "probe.yml:drift@drift", "runner-access.yml:sweep@runner-access"]);
  });

  test("no workflow changes the stack's config or the database's trusted sources", () => {
    for (const { file, wf } of all) {
      for (const job of Object.values(wf.jobs)) {
        for (const step of job.steps ?? []) {
          assert.doesNotMatch(step.run ?? "", /pulumi config set|databaseCidrs|sshCidrs/, `${file}: ${stepLabel(step)}`);
          assert.equal(step.with?.["config-map"], undefined, `${file}: ${stepLabel(step)} passes config-map`);
        }
      }
    }
  });

  test("the sweeper: scheduled, main only, its own environment, the default bound", () => {
    const wf = load("runner-access.yml");
    assert.ok(Array.isArray(wf.on["schedule"]) && "workflow_dispatch" in wf.on);
    const [[jobId, job]] = Object.entries(wf.jobs) as [[string, Job]];
    assert.equal(envName(job), "runner-access", `${jobId}`);
    assert.match(job.if ?? "", /github\.ref == 'refs\/heads\/main'/);
    const sweep = (job.steps ?? []).find((s) => command(s) === "sweep");
    assert.ok(sweep, "no sweep step");
    assert.doesNotMatch(sweep.run ?? "", /--older-than-minutes/, "the sweep bound is the code's (SWEEP_AFTER_MINUTES), stated once");
    // Runs at least every 30 minutes: a leftover lives at most bound + 30 min + GitHub's delay.
    const crons = (wf.on["schedule"] as { cron: string }[]).map((s) => s.cron);
    assert.ok(crons.some((c) => /^(\d+,\d+|\*\/(15|30)) \* \* \* \*$/.test(c)), `schedule ${crons.join(", ")}`);
  });
});

describe("deploy and drift jobs simulated against the fake DigitalOcean API", () => {
  let fake: FakeDo;
  beforeEach(async () => {
    fake = await startFakeDo();
  });
  afterEach(async () => fake.close());

  const jobs = openingJobs();

  /** Runs the job: runner-access open/close for real, the rest as `others` says. */
  async function runJob(j: (typeof jobs)[number], runId: string, others: (step: SimStep) => StepResult | Promise<StepResult> = () => ({ outcome: "success" })) {
    const env = { ...jobEnv(fake, { runId }), DOCSTOWN_FIREWALL_TAG: "docstown-production-server" };
    return simulateJob(j.steps, async (step) => {
      const c = command(step);
      if (c === "open" || c === "close") {
        const args = RA.exec(step.run!)![0].replace("npm run --silent runner-access -- ", "").split(/\s+/)
          .map((a) => a.replace(/^"\$DOCSTOWN_FIREWALL_TAG"$/, env.DOCSTOWN_FIREWALL_TAG));
        const withAddress = c === "open" ? [...args, "--address", "198.51.100.23"] : args;
        const r = await runCli(withAddress, env);
        return { outcome: r.code === 0 ? "success" : "failure" };
      }
      return others(step);
    });
  }

  for (const j of jobs) {
    describe(`${j.file} job ${j.jobId}`, () => {
      test("succeeds: pulumi ran with the opening in place, and it is gone afterwards", async () => {
        let openDuringPulumi = 0;
        const run = await runJob(j, "500", (step) => {
          if (isPulumi(step)) openDuringPulumi = fake.firewalls.size;
          return { outcome: "success" };
        });
        assert.equal(run.status, "success");
        assert.equal(openDuringPulumi, 1);
        assert.equal(fake.firewalls.size, 0);
      });

      test("open fails: pulumi never runs, nothing is left open", async () => {
        fake.failCreate = 403;
        const run = await runJob(j, "501");
        assert.equal(run.status, "failure");
        assert.equal(run.outcomes[stepLabel(j.steps[j.pulumi]!)], "skipped");
        assert.equal(run.outcomes[stepLabel(j.steps[j.close]!)], "success");
        assert.equal(fake.firewalls.size, 0);
      });

      for (const ending of ["failure", "cancelled"] as const) {
        test(`pulumi ends in ${ending}: both closes still run and the opening is gone`, async () => {
          const run = await runJob(j, "502", (step) => ({ outcome: isPulumi(step) ? ending : "success" }));
          assert.equal(run.status, ending);
          assert.equal(run.outcomes[stepLabel(j.steps[j.tunnelClose]!)], "success");
          assert.equal(run.outcomes[stepLabel(j.steps[j.close]!)], "success");
          assert.equal(fake.firewalls.size, 0);
        });
      }

      test("cancelled while opening: the close still runs and removes what the open made", async () => {
        const run = await runJob(j, "503", (step) => ({ outcome: command(step) === "tunnel-open" ? "cancelled" : "success" }));
        assert.equal(run.status, "cancelled");
        assert.equal(run.outcomes[stepLabel(j.steps[j.pulumi]!)], "skipped");
        assert.equal(fake.firewalls.size, 0);
      });

      test("an earlier step fails: no open, and no close either", async () => {
        const run = await runJob(j, "504", (step) => ({ outcome: command(step) === "targets" ? "failure" : "success" }));
        assert.equal(run.outcomes[stepLabel(j.steps[j.open]!)], "skipped");
        assert.equal(run.outcomes[stepLabel(j.steps[j.close]!)], "skipped");
        assert.equal(fake.requests.length, 0);
      });

      test("close fails: the job fails, and the leftover is the sweeper's (ours, by name)", async () => {
        const run = await runJob(j, "505", (step) => {
          if (isPulumi(step)) for (const id of fake.firewalls.keys()) fake.failDelete.add(id);
          return { outcome: "success" };
        });
        assert.equal(run.status, "failure");
        assert.deepEqual([...fake.firewalls.values()].map((f) => f.name), [`docstown-runner-505-1-${j.jobId}`]);
      });
    });
  }

  test("two runs at once hold two separate openings, each closing only its own", async () => {
    const [deploy, drift] = jobs as [(typeof jobs)[number], (typeof jobs)[number]];
    const seen: string[][] = [];
    // The whole drift run happens while the deploy is in pulumi up.
    const run = await runJob(deploy, "600", async (step) => {
      if (!isPulumi(step)) return { outcome: "success" };
      await runJob(drift, "601", (inner) => {
        if (isPulumi(inner)) seen.push([...fake.firewalls.values()].map((f) => f.name).sort());
        return { outcome: "success" };
      });
      seen.push([...fake.firewalls.values()].map((f) => f.name));
      return { outcome: "success" };
    });
    assert.equal(run.status, "success");
    assert.deepEqual(seen, [
      [`docstown-runner-600-1-${deploy.jobId}`, `docstown-runner-601-1-${drift.jobId}`].sort(),
      [`docstown-runner-600-1-${deploy.jobId}`],
    ]);
    assert.equal(fake.firewalls.size, 0);
  });
});

describe("release.yml", () => {
  const wf = load("release.yml");
  const [[jobId, job]] = Object.entries(wf.jobs) as [[string, Job]];
  const steps = job.steps ?? [];
  const pin = steps.find((s) => /npm run --silent release -- pin/.test(s.run ?? ""));
  const token = steps.find((s) => s.uses?.startsWith("actions/create-github-app-token@"));
  const pr = steps.find((s) => /gh pr create/.test(s.run ?? ""));

  test("answers repository_dispatch app-release on main, in the release environment", () => {
    assert.deepEqual((wf.on["repository_dispatch"] as { types: string[] }).types, ["app-release"]);
    assert.deepEqual(Object.keys(wf.on), ["repository_dispatch"]);
    assert.equal(envName(job), "release", jobId);
    assert.match(job.if ?? "", /github\.ref == 'refs\/heads\/main'/);
  });

  test("never runs beside a deploy: deploy.yml's concurrency group, nothing cancelled", () => {
    const deploy = load("deploy.yml");
    const group = (c: Workflow["concurrency"]) => (typeof c === "string" ? c : c?.group);
    assert.ok(group(deploy.concurrency), "deploy.yml has no workflow-level concurrency group");
    assert.equal(group(wf.concurrency), group(deploy.concurrency));
    assert.equal(typeof wf.concurrency === "object" ? wf.concurrency["cancel-in-progress"] : undefined, false);
  });

  test("the payload reaches the pin only through env; the token is minted only when something changed, for contents and pull requests only", () => {
    assert.ok(pin && token && pr);
    assert.equal(pin.env?.["RELEASE_IMAGE"], "${{ github.event.client_payload.image }}");
    assert.equal(pin.env?.["RELEASE_DIGEST"], "${{ github.event.client_payload.digest }}");
    const permissions = Object.entries(token.with ?? {}).filter(([k]) => k.startsWith("permission-"));
    assert.deepEqual(Object.fromEntries(permissions), { "permission-contents": "write", "permission-pull-requests": "write" });
    assert.equal(token.with?.["owner"], undefined, "owner set: the token could reach other repositories");
    assert.equal(token.with?.["repositories"], undefined);
    assert.equal(pr.env?.["GH_TOKEN"], `\${{ steps.${token.id}.outputs.token }}`, "the pull request must be opened with the App's token, not GITHUB_TOKEN");
    assert.deepEqual(job.permissions, { contents: "read" });
  });

  test("simulated: pinned -> token and pull request; already pinned or refused -> neither", async () => {
    const act = (pinResult: StepResult) => async (step: SimStep): Promise<StepResult> => (step === pin ? pinResult : { outcome: "success" });
    const changed = await simulateJob(steps, act({ outcome: "success", outputs: { changed: "true" } }));
    assert.ok(changed.ran.includes(stepLabel(token!)) && changed.ran.includes(stepLabel(pr!)));
    const same = await simulateJob(steps, act({ outcome: "success", outputs: { changed: "false" } }));
    assert.ok(!same.ran.includes(stepLabel(token!)) && !same.ran.includes(stepLabel(pr!)));
    assert.equal(same.status, "success");
    const refused = await simulateJob(steps, act({ outcome: "failure" }));
    assert.ok(!refused.ran.includes(stepLabel(pr!)));
    assert.equal(refused.status, "failure");
  });
});

describe("job simulator", () => {
  test("evaluates the forms the workflows use, and refuses others", () => {
    const ctx = { status: "failure" as const, steps: { a: { outcome: "skipped" as const, outputs: { changed: "true" } } } };
    assert.equal(evaluate("always() && steps.a.outcome != 'skipped'", ctx), false);
    assert.equal(evaluate("steps.a.outputs.changed == 'true'", ctx), true);
    assert.equal(evaluate("!cancelled()", ctx), true);
    assert.throws(() => evaluate("contains(github.ref, 'main')", ctx));
  });
});
