// The production transport, run once for real: the local stack's app deployed through the Docker
// provider with host `ssh://root@127.0.0.1:<port>` (a real sshd on loopback), the key only in an
// ssh-agent, and the server's host key pinned by the SSH options production's provider gets
// (src/app/docker-host.ts), so host key checking is on. A first up, a release, and a refusal when
// the pinned key is not the server's.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { prepareState, saltFromExport } from "../../engine/local/backend";
import { caddyVersion, demoSettings, installedPostgresMajors, postgresMajor } from "../../engine/local/images";
import { exportStack, initStack, setSecret, type PulumiCli } from "../../engine/local/pulumi";
import { committedConfig, GENERATED_SECRETS, generatedStackFile, withSettings } from "../../engine/local/stack-config";
import { REPO_ROOT } from "../../engine/targets";
import { dockerMissing, freePort } from "../demo/support";
import { engine } from "./engine-test";
import { docker, get, LocalRun, waitFor200, type Overrides } from "./support/local-run";
import { sshdMissing, startLoopbackSshd, type LoopbackSshd } from "./support/sshd";

const PLUGINS = ["pulumi-language-nodejs", "pulumi-resource-docker"];
const BIN_DIR = engine.found ? engine.binDir : "";
const reason =
  dockerMissing() ?? sshdMissing() ?? (!engine.found ? engine.reason : PLUGINS.find((p) => !fs.existsSync(path.join(BIN_DIR, p))) ? "the Docker plugin is not built (npm run engine)" : undefined);
const STEP = { timeout: 1_500_000 };

/**
 * The stack file `npm run local:up` would write, written with its own functions: local:up itself
 * checks the daemon with the docker CLI, which cannot be handed the pinned host key, so this test
 * stops short of it and runs `pulumi up` as an operator does against the droplet.
 */
function writeStackFile(run: LocalRun, settings: Overrides): void {
  const cli: PulumiCli = { binDir: BIN_DIR, env: run.env(), layout: run.layout, repoRoot: REPO_ROOT, quiet: true };
  const caddy = caddyVersion(fs.readFileSync(path.join(REPO_ROOT, "demo", "caddy", "go.mod"), "utf8"));
  const config = withSettings(committedConfig(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.local.yaml"), "utf8")), {
    ...demoSettings(caddy, postgresMajor(installedPostgresMajors(), [])),
    ...settings,
  });
  const previous = fs.existsSync(run.layout.configFile) ? fs.readFileSync(run.layout.configFile, "utf8") : undefined;
  const file = generatedStackFile(config, saltFromExport(exportStack(cli)), previous);
  fs.writeFileSync(run.layout.configFile, file.text, { mode: 0o600 });
  for (const key of file.missingSecrets) setSecret(cli, `docstown:${key}`, GENERATED_SECRETS[key]?.() ?? "");
}

function expectOk(what: string, r: { status: number | null; stdout: string; stderr: string }): void {
  assert.equal(r.status, 0, `${what} failed (exit ${r.status}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
}

describe("the Docker provider over ssh:// with the key in an agent and the host key pinned", { skip: process.env.CI !== "true" && reason !== undefined ? reason : false }, () => {
  let sshd: LoopbackSshd;
  let run: LocalRun;
  let settings: Overrides;

  before(async () => {
    assert.equal(reason, undefined, `CI=true and ${reason}`);
    sshd = await startLoopbackSshd();
    // No SSH_AUTH_SOCK of the caller's: only the test agent's key can log in.
    run = new LocalRun(BIN_DIR, {}, { SSH_AUTH_SOCK: sshd.agentSocket });
    settings = {
      "local.dockerHost": sshd.dockerHost,
      "local.dockerHostKey": sshd.knownHostsLine,
      "local.httpPort": await freePort(),
      "local.httpsPort": await freePort(),
      "local.reposVolumeName": run.reposVolume,
      "local.proxyDataVolumeName": run.proxyDataVolume,
    };
    prepareState(run.layout, "docstown");
    initStack({ binDir: BIN_DIR, env: run.env(), layout: run.layout, repoRoot: REPO_ROOT, quiet: true });
  });

  after(() => {
    if (run !== undefined) {
      run.pulumi(["destroy", "--yes", "--skip-preview"]);
      for (const v of [run.reposVolume, run.proxyDataVolume]) docker(["volume", "rm", "-f", v]);
      run.remove();
    }
    sshd?.stop();
  });

  test("a pinned key that is not the server's: the up fails at the first connection and creates nothing", STEP, () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), "docstown-otherkey-"));
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(other, "k")]);
    const [type, key] = fs.readFileSync(path.join(other, "k.pub"), "utf8").trim().split(/\s+/);
    fs.rmSync(other, { recursive: true, force: true });
    writeStackFile(run, { ...settings, "local.dockerHostKey": `[127.0.0.1]:${sshd.port} ${type} ${key}` });
    // A preview of an empty stack never dials (the provider connects lazily); an up must.
    const up = run.pulumi(["up", "--yes", "--skip-preview"]);
    assert.notEqual(up.status, 0, "an up through a host whose key is not the pinned one must fail");
    assert.match(`${up.stdout}\n${up.stderr}`, /Host key verification failed/);
    const created = (run.exportState().deployment.resources ?? []).filter((r) => r.type.startsWith("docker:index/"));
    assert.deepEqual(created.map((r) => r.urn), [], "nothing was created on the host");
  });

  test("first up over ssh://: every role runs and /up answers 200 over HTTPS", STEP, async () => {
    writeStackFile(run, { ...settings, "app.tag": "1" });
    expectOk("pulumi up over ssh", run.pulumi(["up", "--yes", "--skip-preview"]));
    const outputs = run.outputs();
    const caFile = path.join(run.stateDir, "ca.crt");
    const copied = spawnSync("docker", ["cp", `${outputs["proxyContainer"]}:${outputs["caPath"]}`, caFile]);
    assert.equal(copied.status, 0);
    const ca = fs.readFileSync(caFile);
    await waitFor200(`${outputs["url"]}/up`, ca, 60);
    assert.match((await get(`${outputs["url"]}/version`, ca)).body, /\b1\b/);
    expectOk("preview --expect-no-changes over ssh", run.pulumi(["preview", "--expect-no-changes"]));
  });

  test("a release over ssh://: the new version serves", STEP, async () => {
    if (spawnSync("docker", ["image", "inspect", "docstown-demo:2"], { stdio: "ignore" }).status !== 0) {
      execFileSync("bash", [path.join(REPO_ROOT, "demo", "build.sh"), "--only", "app", "--version", "2"], { stdio: "ignore", timeout: 1_500_000 });
    }
    writeStackFile(run, { ...settings, "app.tag": "2" });
    expectOk("pulumi up of release 2 over ssh", run.pulumi(["up", "--yes", "--skip-preview"]));
    const outputs = run.outputs();
    const ca = fs.readFileSync(path.join(run.stateDir, "ca.crt"));
    await waitFor200(`${outputs["url"]}/up`, ca, 60);
    assert.match((await get(`${outputs["url"]}/version`, ca)).body, /\b2\b/);
  });
});
