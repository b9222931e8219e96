// `npm run ops` against the local stack on the real engine (one `up` of release 1, one of
// release 2): every command, what it must never print, the one-off's cleanup, and logs of a
// replaced release read back from the journal. Then the production code path, with `pulumi` and
// `ssh` stood in for (./support/fakes.ts) so its remote commands run against the same engine:
// what lands on the host's command lines, and that no secret is among it.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { REPO_ROOT } from "../../engine/targets";
import { ENV } from "../../engine/local/settings";
import { dockerMissing, freePort, goMissing } from "../demo/support";
import { engine } from "../engine/engine-test";
import { docker, LocalRun } from "../engine/support/local-run";
import { agentWithKey, productionFakes, removeFakes, type Agent } from "./support/fakes";
import { ensureJournald } from "./support/journald";

const PLUGINS = ["pulumi-language-nodejs", "pulumi-resource-docker"];
const binDir = engine.found ? engine.binDir : "";
const reason =
  dockerMissing() ??
  goMissing() ??
  (!engine.found ? engine.reason : PLUGINS.find((p) => !fs.existsSync(path.join(binDir, p))) !== undefined ? `${PLUGINS.join(", ")} not built (npm run engine)` : undefined) ??
  ensureJournald();
const inCI = process.env.CI === "true";
const STEP = { timeout: 1_500_000 };
const CLI = path.join(REPO_ROOT, "src", "ops", "cli.ts");

interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function expectOk(what: string, r: Ran): void {
  assert.equal(r.status, 0, `${what} failed (exit ${r.status}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
}

describe("npm run ops on the local stack (real engine, journald) and its production path", { skip: !inCI && reason !== undefined ? reason : false }, () => {
  let run: LocalRun;
  let env: NodeJS.ProcessEnv;
  let secrets: string[] = [];
  let release1 = "";
  let agent: Agent | undefined;

  const ops = (args: readonly string[], extra: NodeJS.ProcessEnv = {}): Ran => {
    const r = spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], { cwd: REPO_ROOT, env: { ...env, ...extra }, encoding: "utf8", timeout: 300_000, stdio: ["ignore", "pipe", "pipe"] });
    return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  };
  const noSecret = (what: string, text: string) => {
    for (const s of secrets) assert.ok(!text.includes(s), `${what} shows a secret value`);
  };
  const oneOffs = () => docker(["ps", "-a", "-q", "--filter", "label=docstown.oneoff"]).stdout.trim();

  before(async () => {
    assert.equal(reason, undefined, `CI=true and ${reason}`);
    run = new LocalRun(binDir, { "local.httpPort": await freePort(), "local.httpsPort": await freePort(), "local.logDriver": "journald" });
    env = { ...process.env, [ENV.stateDir]: run.stateDir, [ENV.config]: JSON.stringify({ "local.reposVolumeName": run.reposVolume }) };
  });

  after(() => {
    agent?.stop();
    removeFakes();
    if (run === undefined) return;
    run.local("down");
    for (const v of [run.reposVolume, run.proxyDataVolume]) docker(["volume", "rm", "-f", v]);
    run.remove();
  });

  test("bad input before anything is deployed: one line, exit 2", () => {
    const notDeployed = ops(["ps", "--stack", "local"]);
    assert.equal(notDeployed.status, 2);
    assert.match(notDeployed.stderr, /^ops: the local stack is not deployed \(no state in .*\): run npm run local:up first\n$/);
    const role = ops(["logs", "--stack", "local", "--role", "db"]);
    assert.equal(role.status, 2);
    assert.equal(role.stderr, 'ops: unknown role "db": one of web, worker, proxy, migrate\n');
  });

  test("release 1 is up; ps: each role's container, its release and health", STEP, () => {
    expectOk("local:up", run.local("up"));
    release1 = run.outputs()["imageDigest"] ?? "";
    assert.match(release1, /^sha256:[0-9a-f]{64}$/);
    secrets = [...fs.readFileSync(run.layout.configFile, "utf8").matchAll(/^\s*(docstown:[A-Za-z.]+):\s*\n\s*secure:/gm)].map((m) => {
      const r = run.pulumi(["config", "get", m[1] as string]);
      expectOk(`config get ${m[1]}`, r);
      return r.stdout.trim();
    });
    assert.ok(secrets.length >= 2 && secrets.every((s) => s.length >= 16), "the local stack's generated secrets were read");
    const r = ops(["ps", "--stack", "local"]);
    expectOk("ops ps", r);
    noSecret("ps", r.stdout + r.stderr);
    const rows = r.stdout.trim().split("\n");
    assert.match(rows[0] ?? "", /^ROLE +CONTAINER +RELEASE +STATUS$/);
    const row = (role: string) => rows.find((l) => l.startsWith(`${role} `)) ?? assert.fail(`no ${role} row in:\n${r.stdout}`);
    assert.match(row("web"), new RegExp(`${release1} +Up .*\\(healthy\\)$`));
    assert.match(row("worker"), new RegExp(`${release1} +Up `));
    assert.match(row("migrate"), new RegExp(`${release1} +Exited \\(0\\)`));
    assert.match(row("proxy"), /docstown-caddy|sha256:/);
    // Scoped to this stack: every container listed is on its proxy's app network.
    const network = docker(["inspect", "--format", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}", run.outputs()["proxyContainer"] ?? ""]).stdout.trim();
    for (const line of rows.slice(1)) {
      const name = /(docstown-[a-z-]+-[0-9a-f]+|\S*docstown\S*)/.exec(line.replace(/^\S+( \([a-z-]+\))? +/, ""))?.[0] ?? assert.fail(line);
      const networks = docker(["inspect", "--format", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", name]).stdout;
      assert.ok(networks.split(" ").includes(network), `${name} (${networks.trim()}) is not on ${network}`);
    }
  });

  test("exec: a new container of release 1 with its environment, user, networks and volume; secrets redacted; removed afterwards", STEP, () => {
    const r = ops(["exec", "--stack", "local", "--", "sh", "-c", 'echo "env=$RAILS_ENV uid=$(id -u) key=$RAILS_MASTER_KEY"; ls -d /data/repos; ./bin/rails db:prepare']);
    expectOk("ops exec", r);
    assert.match(r.stdout, /env=production uid=1000 key=\[redacted\]/);
    assert.match(r.stdout, /\/data\/repos/);
    noSecret("exec", r.stdout + r.stderr);
    assert.equal(oneOffs(), "", "the one-off container is removed");
    const failed = ops(["exec", "--stack", "local", "--", "sh", "-c", "exit 7"]);
    assert.equal(failed.status, 7, "exec ends with the command's exit code");
    assert.equal(oneOffs(), "");
  });

  test("no secret on a command line while a one-off runs (this machine is the local stack's Docker host)", STEP, async () => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "exec", "--stack", "local", "--", "sh", "-c", "sleep 6; echo done"], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const seen: string[] = [];
    const done = new Promise<number | null>((resolve) => child.on("close", resolve));
    let finished = false;
    void done.then(() => (finished = true));
    while (!finished) {
      seen.push(spawnSync("ps", ["-eo", "args"], { encoding: "utf8" }).stdout);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(await done, 0);
    assert.match(out, /done/);
    const all = seen.join("\n");
    assert.match(all, /docker start --attach --interactive [0-9a-f]{64}/, "the sampling saw the one-off running");
    noSecret("the machine's process list", all);
  });

  test("exec --reuse runs in the live web container; console and dbconsole run bin/rails in a new container", STEP, () => {
    const web = run.appContainers("web").find((id) => docker(["inspect", "--format", "{{.State.Running}}", id]).stdout.trim() === "true") ?? assert.fail("no running web");
    const reuse = ops(["exec", "--stack", "local", "--reuse", "--", "hostname"]);
    expectOk("exec --reuse", reuse);
    assert.equal(reuse.stdout.trim(), web.slice(0, 12));
    // The demo image implements only `rails server` and `db:prepare`: its refusal names what ran.
    const consoleRun = ops(["console", "--stack", "local"]);
    assert.equal(consoleRun.status, 1);
    assert.match(consoleRun.stderr, /not \["console"\]/);
    // With a terminal (as console has one), the one-off gets a TTY: `script` gives ops a pseudo-terminal.
    const cmd = [process.execPath, "--import", "tsx", CLI, "exec", "--stack", "local", "--", "sh", "-c", "test -t 0 && test -t 1 && echo has-a-terminal"].map((w) => `'${w}'`).join(" ");
    const withTty = spawnSync("script", ["-q", "-e", "-c", cmd, "/dev/null"], { cwd: REPO_ROOT, env, encoding: "utf8", timeout: 120_000, stdio: ["pipe", "pipe", "pipe"], input: "" });
    assert.equal(withTty.status, 0, `${withTty.stdout}\n${withTty.stderr}`);
    assert.match(withTty.stdout, /has-a-terminal/);
    const db = ops(["dbconsole", "--stack", "local"]);
    assert.equal(db.status, 1);
    assert.match(db.stderr, /not \["dbconsole" "--include-password"\]/);
    assert.equal(oneOffs(), "");
  });

  test("logs of release 1 outlive its containers: --follow sees the deploy; after it, --release and --since read release 1's lines back", STEP, async () => {
    const before = ops(["logs", "--stack", "local", "--role", "web", "--lines", "0"]);
    expectOk("logs before", before);
    assert.match(before.stdout, /^web +\S+Z \| .*rails server \(docstown demo 1\): booting/m);
    const oldWeb = run.appContainers("web");
    const started = Math.floor(Date.now() / 1000);
    // --follow across the deploy: the new release's lines arrive while it runs.
    const follow = spawn(process.execPath, ["--import", "tsx", CLI, "logs", "--stack", "local", "--role", "web", "--follow", "--lines", "1"], { cwd: REPO_ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let followed = "";
    follow.stdout.on("data", (d: Buffer) => (followed += d.toString()));
    run.set({ "app.tag": "2" });
    expectOk("local:up of release 2", run.local("up"));
    // local:up blocked the event loop: give the follower's output its turn.
    for (let i = 0; i < 50 && !/docstown demo 2\): booting/.test(followed); i++) await new Promise((r) => setTimeout(r, 200));
    if (follow.pid !== undefined) process.kill(-follow.pid, "SIGTERM");
    assert.match(followed, /^web .*rails server: drained, exiting/m, "followed: release 1's last words");
    assert.match(followed, /^web .*docstown demo 2\): booting/m, "followed: release 2's first");
    for (const id of oldWeb) assert.notEqual(docker(["inspect", id]).status, 0, `release 1's web ${id.slice(0, 12)} was removed by the deploy`);

    const old = ops(["logs", "--stack", "local", "--role", "web", "--release", release1, "--lines", "0"]);
    expectOk("logs --release", old);
    assert.match(old.stdout, /rails server \(docstown demo 1\): booting/);
    // Written while the deploy stopped it: only the journal can still hold this.
    assert.match(old.stdout, /rails server: drained, exiting/);
    assert.doesNotMatch(old.stdout, /docstown demo 2/);
    const since = ops(["logs", "--stack", "local", "--since", `${Math.floor(Date.now() / 1000) - started + 5}s`, "--lines", "0"]);
    expectOk("logs --since", since);
    assert.match(since.stdout, /^web .*drained, exiting/m);
    assert.match(since.stdout, /^web .*docstown demo 2\): booting/m);
    assert.match(since.stdout, /^migrate /m);
    noSecret("logs", old.stdout + since.stdout + old.stderr + since.stderr);
  });

  test("the production path: the command lines it sends over SSH (the deploy's options, deploy@publicIp), none with a secret", STEP, async () => {
    agent = await agentWithKey();
    const logs = JSON.stringify(run.outputs()["logs"] ?? {});
    const fakes = productionFakes({ publicIp: "203.0.113.7", knownHostsLine: "", logs });
    const prodEnv = { PATH: fakes.path, SSH_AUTH_SOCK: agent.socket };
    const ps = ops(["ps", "--role", "web"], prodEnv);
    expectOk("ops ps (production)", ps);
    const exec = ops(["exec", "--", "sh", "-c", 'echo "key=$RAILS_MASTER_KEY"'], prodEnv);
    expectOk("ops exec (production)", exec);
    assert.match(exec.stdout, /key=\[redacted\]/);
    const old = ops(["logs", "--role", "web", "--release", release1, "--lines", "0"], prodEnv);
    expectOk("ops logs --release (production)", old);
    assert.match(old.stdout, /drained, exiting/);
    // A stack whose containers log with Docker's local driver: docker logs of the running ones, no --release.
    const localDriver = productionFakes({ publicIp: "203.0.113.7", knownHostsLine: "", logs: JSON.stringify({ driver: "local", tag: run.reposVolume }) });
    const recent = ops(["logs", "--role", "web", "--lines", "5"], { ...prodEnv, PATH: localDriver.path });
    expectOk("ops logs (docker logs)", recent);
    assert.match(recent.stdout, /^web +\S+Z \| /m);
    const reached = localDriver.sshCalls().length;
    const refused = ops(["logs", "--release", release1], { ...prodEnv, PATH: localDriver.path });
    assert.equal(refused.status, 2);
    assert.equal(localDriver.sshCalls().length, reached, "refused from the stack's outputs, before the host is reached");
    assert.match(refused.stderr, /^ops: the production stack logs with Docker's local driver.*\n$/);
    assert.ok(localDriver.sshCalls().some((c) => /^docker logs --timestamps --tail 5 [0-9a-f]{64}$/.test(c[c.length - 1] ?? "")));
    fs.rmSync(localDriver.dir, { recursive: true, force: true });
    const calls = fakes.sshCalls();
    const remote = calls.map((c) => c[c.length - 1] ?? "");
    for (const call of calls) {
      assert.deepEqual(call.slice(0, -2).filter((a) => a !== "-o"), ["BatchMode=yes", "ConnectTimeout=20", "ServerAliveInterval=15", "ServerAliveCountMax=8", "StrictHostKeyChecking=accept-new", call.includes("-t") ? "-t" : "-T"]);
      assert.equal(call[call.length - 2], "deploy@203.0.113.7");
    }
    assert.ok(remote.includes(`docker ps --all --no-trunc --filter label=docstown.role=web --format '{{.ID}}\t{{.Names}}\t{{.Label "docstown.role"}}\t{{.Label "docstown.release"}}\t{{.Label "docstown.step"}}\t{{.Image}}\t{{.Status}}'`), remote.join("\n"));
    assert.ok(remote.includes("docker system dial-stdio"));
    assert.ok(remote.some((c) => /^docker start --attach --interactive [0-9a-f]{64}$/.test(c)));
    assert.ok(remote.includes(`journalctl --no-pager --output json SYSLOG_IDENTIFIER=${run.reposVolume} DOCSTOWN_ROLE=web DOCSTOWN_RELEASE=${release1}`), remote.join("\n"));
    noSecret("a command line sent over SSH", calls.flat().join("\n"));
    fs.rmSync(fakes.dir, { recursive: true, force: true });
  });
});
