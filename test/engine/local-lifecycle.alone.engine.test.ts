// The deploy lifecycle of the local stack on the real engine: our CLI build, the Docker plugin from
// the Terraform bridge, a real Docker daemon and the demo images of the Rails contract. Every step
// is what a user does (`npm run local:up`, `pulumi preview`, `refresh`, `stack export`, a killed
// `up` and the runbook's recovery, a daemon restart, `local:down`), and every assertion is what
// they rely on: the site serves, nothing is left to do, no request fails, no secret is in clear.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { freePort } from "../demo/support";
import { docker, get, idsByUrn, LocalRun, nameOf, requestLoop, waitFor200, type StateExport } from "./support/local-run";
import { recoverInterruptedDeploy } from "./support/recovery";
import { restartDockerDaemon } from "./support/daemon";
import { binDir, expectOk, localStackMissing } from "./support/preconditions";

const reason = localStackMissing();
const inCI = process.env.CI === "true";
const STEP = { timeout: 1_500_000 };

/** Containers of this run by role, from the state: the ones Pulumi manages. */
function containersByRole(state: StateExport): Map<string, string[]> {
  const roles = new Map<string, string[]>();
  for (const r of state.deployment.resources ?? []) {
    if (r.type !== "docker:index/container:Container") continue;
    const labels = (r.inputs?.["labels"] ?? []) as { label: string; value: string }[];
    const role = labels.find((l) => l.label === "docstown.role")?.value ?? "?";
    const step = labels.find((l) => l.label === "docstown.step")?.value;
    const key = step ?? role;
    roles.set(key, [...(roles.get(key) ?? []), String(r.outputs?.["name"] ?? r.id)]);
  }
  return roles;
}


describe("the local stack's deploy lifecycle on the real engine", { skip: !inCI && reason !== undefined ? reason : false }, () => {
  let run: LocalRun;
  let url = "";
  let ca: Buffer = Buffer.alloc(0);

  before(async () => {
    assert.equal(reason, undefined, `CI=true and ${reason}`);
    run = new LocalRun(binDir, { "local.httpPort": await freePort(), "local.httpsPort": await freePort() });
    // The failing release of step d, built once up front (demo/build.sh tags it like a release).
    const build = spawnSync("bash", ["demo/build.sh", "--only", "app", "--version", "3-failing", "--failing-migration"], { encoding: "utf8", timeout: 1_500_000 });
    expectOk("demo/build.sh --failing-migration", { status: build.status, stdout: build.stdout, stderr: build.stderr });
  });

  after(() => {
    if (run === undefined) return;
    run.local("down");
    for (const v of new Set([run.reposVolume, run.proxyDataVolume, ...retainedVolumes(run)])) docker(["volume", "rm", "-f", v]);
    run.remove();
  });

  test("a. the first up from an empty stack: every container healthy, /up 200 over HTTPS through the proxy", STEP, async () => {
    const up = run.local("up");
    expectOk("local:up", up);
    const outputs = run.outputs();
    url = outputs["url"] ?? "";
    assert.match(url, /^https:\/\/localhost:\d+$/);
    assert.match(up.stdout, new RegExp(url.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")), "local:up prints the URL");
    ca = run.ca();
    assert.match(ca.toString(), /BEGIN CERTIFICATE/);
    const answer = await waitFor200(`${url}/up`, ca, 60);
    assert.equal(answer.status, 200);
    // Every long-running container is running, and those with a health check are healthy.
    const roles = containersByRole(run.exportState());
    for (const role of ["web", "worker", "proxy", "postgres"]) {
      for (const name of roles.get(role) ?? assert.fail(`no ${role} container in the state`)) {
        const status = docker(["inspect", "--format", "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}", name]).stdout.trim();
        assert.match(status, /^running( healthy)?$/, `${role} ${name}: ${status}`);
      }
    }
    // Without our CA the same URL is refused: the proxy serves the local CA's certificate.
    await assert.rejects(get(`${url}/up`, Buffer.from("")), /self-signed|unable to verify|certificate/i);
  });

  test("b. right after, and again after a refresh, a preview has nothing to do", STEP, () => {
    expectOk("preview --expect-no-changes", run.pulumi(["preview", "--expect-no-changes"]));
    expectOk("refresh", run.pulumi(["refresh", "--yes"]));
    expectOk("preview --expect-no-changes after refresh", run.pulumi(["preview", "--expect-no-changes"]));
  });

  test("c. a new release under a bounded request loop: no failed request; only migrate, web and worker (and the image) change", STEP, async () => {
    const before = idsByUrn(run.exportState());
    run.set({ "app.tag": "2" });
    const deploy = run.localUpAsync();
    const loop = await requestLoop(`${url}/up`, ca, deploy.done);
    const result = await deploy.done;
    expectOk("local:up of release 2", result);
    assert.deepEqual(loop.failed, [], `${loop.failed.length} of ${loop.ok + loop.failed.length} requests failed during the deploy`);
    assert.ok(loop.ok >= 20, `the loop ran through the deploy (${loop.ok} requests)`);
    const afterIds = idsByUrn(run.exportState());
    const changed = [...afterIds].filter(([urn, id]) => before.get(urn) !== id).map(([urn]) => nameOf(urn)).sort();
    assert.deepEqual(changed, ["docstown-image", "docstown-migrate", "docstown-web", "docstown-worker"]);
    assert.match((await get(`${url}/version`, ca)).body, /\b2\b/);
  });

  test("d. a failing migration: up exits non-zero with its message; the old release keeps serving, the new one never serves", STEP, async () => {
    run.set({ "app.tag": "3-failing" });
    const result = run.local("up");
    assert.notEqual(result.status, 0, "local:up of a release whose migration fails must fail");
    assert.match(`${result.stdout}\n${result.stderr}`, /this build's migration fails on purpose/);
    assert.match((await get(`${url}/version`, ca)).body, /\b2\b/, "release 2 still serves");
    const failingId = docker(["image", "inspect", "--format", "{{.Id}}", "docstown-demo:3-failing"]).stdout.trim();
    assert.match(failingId, /^sha256:/);
    const webImages = run.appContainers("web").map((id) => docker(["inspect", "--format", "{{.Image}}", id]).stdout.trim());
    assert.ok(webImages.length > 0 && !webImages.includes(failingId), "no web container of the failing release exists");
    // The next deploy starts from this failed one: step f's (killed, recovered, then converging).
  });

  test("e. the exported state holds no configured secret in clear", STEP, () => {
    const state = JSON.stringify(run.exportState());
    const keys = listSecretKeys(run);
    assert.ok(keys.length > 0, "the stack has secrets");
    for (const key of keys) {
      const value = run.pulumi(["config", "get", key]);
      expectOk(`config get ${key}`, value);
      const secret = value.stdout.trim();
      assert.ok(secret.length >= 8, `${key} has a value`);
      assert.ok(!state.includes(secret), `${key}'s value appears in clear in the exported state`);
    }
  });

  test("f. after the failed release, up killed in the middle of a deploy; the runbook's recovery; the next up converges and the site serves", STEP, async () => {
    const webs = () => run.appContainers("web");
    const known = new Set(webs());
    run.set({ "app.tag": "1" });
    const deploy = run.localUpAsync();
    // Killed (the whole process group, as an OOM kill or a lost runner would) once the new web
    // container exists: Pulumi is then waiting for its health check, with a create pending.
    let killed = false;
    const deadline = Date.now() + 900_000;
    while (!killed && Date.now() < deadline) {
      if (webs().some((id) => !known.has(id))) {
        deploy.kill("SIGKILL");
        killed = true;
      } else if (await settlesWithin(deploy.done, 250)) {
        break;
      }
    }
    await deploy.done;
    assert.ok(killed, "the deploy was killed while the new web container was being created");
    const pending = run.exportState().deployment.pending_operations ?? [];
    assert.ok(pending.length > 0, "the killed run left pending operations in the state");

    const steps = recoverInterruptedDeploy(run);
    assert.ok(steps.some((s) => s.includes("--clear-pending-creates")));
    assert.deepEqual(run.exportState().deployment.pending_operations ?? [], [], "the runbook clears the pending operations");
    expectOk("local:up after the runbook's recovery", run.local("up"));
    await waitFor200(`${url}/up`, ca, 60);
    assert.match((await get(`${url}/version`, ca)).body, /\b1\b/);
    expectOk("preview --expect-no-changes after recovery", run.pulumi(["preview", "--expect-no-changes"]));
    assert.equal(webs().length, 1, "exactly one web container runs: the stray one of the killed run is gone");
  });

  test("g. the Docker daemon restarted: the site comes back by itself and a preview has nothing to do", STEP, async () => {
    restartDockerDaemon();
    await waitFor200(`${url}/up`, ca, 120);
    expectOk("preview --expect-no-changes after a daemon restart", run.pulumi(["preview", "--expect-no-changes"]));
  });

  test("h. local:down keeps the repos volume and its data; the next local:up finds them", STEP, async () => {
    const put = await get(`${url}/files/lifecycle-marker`, ca, { method: "PUT", body: `kept ${run.id}` });
    assert.ok(put.status >= 200 && put.status < 300, `PUT /files: ${put.status} ${put.body}`);
    const down = run.local("down");
    expectOk("local:down", down);
    assert.match(down.stdout, new RegExp(run.reposVolume), "local:down names the kept repos volume");
    assert.equal(docker(["volume", "inspect", run.reposVolume]).status, 0, "the repos volume survives local:down");
    assert.deepEqual(run.appContainers("web"), [], "no web container is left");
    expectOk("local:up after local:down", run.local("up"));
    ca = run.ca();
    const file = await get(`${url}/files/lifecycle-marker`, ca);
    assert.equal(file.status, 200);
    assert.equal(file.body.trim(), `kept ${run.id}`);
  });

  test("i. preview --policy-pack policies passes on the local stack; a copy of the program without the repos volume is refused", STEP, () => {
    const pass = run.pulumi(["preview", "--policy-pack", path.join("policies")]);
    expectOk("preview with the policy pack", pass);
    const copy = programWithoutReposVolume();
    try {
      const refused = spawnSync(path.join(binDir, "pulumi"), ["preview", "--policy-pack", path.resolve("policies"), "--stack", "local", "--config-file", run.layout.configFile, "--non-interactive"], {
        cwd: copy, env: run.env(), encoding: "utf8", timeout: 900_000,
      });
      assert.notEqual(refused.status, 0, "the policy pack lets a program without the repos volume through");
      assert.match(`${refused.stdout}\n${refused.stderr}`, /persistent-volume-presence/);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });
});

/** Whether `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([promise.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
}

/** The `docstown:` keys the generated stack file holds encrypted. */
function listSecretKeys(run: LocalRun): string[] {
  const text = fs.readFileSync(run.layout.configFile, "utf8");
  return [...text.matchAll(/^\s*(docstown:[A-Za-z.]+):\s*\n\s*secure:/gm)].map((m) => m[1] as string);
}

/** Volumes the state marks retainOnDelete (the repos and the proxy's CA volume, ...). */
function retainedVolumes(run: LocalRun): string[] {
  try {
    return (run.exportState().deployment.resources ?? [])
      .filter((r) => r.type === "docker:index/volume:Volume" && r.retainOnDelete === true)
      .map((r) => String(r.outputs?.["name"] ?? ""));
  } catch {
    return [];
  }
}

/** A copy of the program whose local stack declares no repos volume (the pack's refusal case). */
function programWithoutReposVolume(): string {
  const copy = fs.mkdtempSync(path.join(fs.realpathSync("/tmp"), "docstown-no-volume-"));
  for (const entry of ["index.ts", "Pulumi.yaml", "package.json", "tsconfig.json", "src", "stacks", "policies"]) {
    fs.cpSync(path.resolve(entry), path.join(copy, entry), { recursive: true, filter: (p) => !p.includes("node_modules") });
  }
  fs.symlinkSync(path.resolve("node_modules"), path.join(copy, "node_modules"));
  const local = path.join(copy, "stacks", "local.ts");
  const text = fs.readFileSync(local, "utf8");
  const declaration = /\n\s*const repos = new docker\.Volume\([\s\S]*?\n\s*\);\n/;
  assert.match(text, declaration, "stacks/local.ts declares the repos volume as the test expects");
  fs.writeFileSync(local, text.replace(declaration, "\n  const repos = { name: config.local.reposVolumeName };\n"));
  return copy;
}
