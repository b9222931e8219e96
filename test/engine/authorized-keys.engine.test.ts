// The operators' keys step through the real engine and Docker plugin, over the transport production
// uses (ssh:// to a real sshd on loopback, the key in an agent, the host key pinned): the
// AuthorizedKeys component as the production stack declares it, with an image already on the
// daemon and a test directory standing in for /home/deploy/.ssh. A first up writes the list, a
// changed list replaces the step and rewrites the file (a second sshd then takes the new key and
// refuses the removed one), a preview after it has nothing to do, and a list without the deploy
// key fails the program before anything changes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { REPO_ROOT } from "../../engine/targets";
import { sshKeyFingerprint } from "../../src/config/ssh-fingerprint";
import { authorizedKeysFile } from "../../src/server/authorized-keys";
import { dockerMissing } from "../demo/support";
import { keyPair, startKeysSshd, strictModesDir, type KeysSshd } from "../server/keys-sshd";
import { engine } from "./engine-test";
import { smokeProject, type SmokeProject } from "./smoke-program";
import { sshdMissing, startLoopbackSshd, type LoopbackSshd } from "./support/sshd";

const PLUGINS = ["pulumi-language-nodejs", "pulumi-resource-docker"];
const BIN_DIR = engine.found ? engine.binDir : "";
const BUSYBOX = "/bin/busybox";
const reason =
  dockerMissing() ?? sshdMissing() ?? (!fs.existsSync(BUSYBOX) ? `${BUSYBOX} is missing (apt-get install busybox-static)` : undefined) ??
  (!engine.found ? engine.reason : PLUGINS.find((p) => !fs.existsSync(path.join(BIN_DIR, p))) ? "the Docker plugin is not built (npm run engine)" : undefined);
const STEP = { timeout: 900_000 };
const RUN = `docstown-keys-engine-${randomBytes(3).toString("hex")}`;
const IMAGE = `${RUN}-sh:test`;

const PROGRAM = `
import * as pulumi from "@pulumi/pulumi";
import { AuthorizedKeys } from ${JSON.stringify(path.join(REPO_ROOT, "src", "server", "authorized-keys"))};

const config = new pulumi.Config();
// Stands in for the Server's readiness step: the droplet answers from the start here.
const ready = new pulumi.ComponentResource("test:index:Ready", "ready");
const keys = new AuthorizedKeys("operators", {
  host: { dockerHost: config.require("dockerHost"), knownHostsLine: config.require("knownHostsLine"), ready, dropletId: "loopback-1" },
  image: config.require("image"),
  imageSource: "daemon",
  sshDir: config.require("sshDir"),
  keys: config.requireObject<string[]>("keys"),
  deployKey: config.require("deployKey"),
});
export const applied = keys.applied;
`;

function docker(args: string[]): { status: number | null; out: string } {
  const r = spawnSync("docker", args, { encoding: "utf8", timeout: 120_000, env: { ...process.env, DOCKER_BUILDKIT: "0" } });
  return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

describe("AuthorizedKeys through the real engine over ssh://", { skip: process.env.CI !== "true" && reason !== undefined ? reason : false }, () => {
  let transport: LoopbackSshd;
  let login: KeysSshd;
  let project: SmokeProject;
  let dir: string;
  let sshDir: string;
  type Pair = { file: string; line: string };
  let deploy: Pair;
  let leaving: Pair;
  let joining: Pair;
  const file = () => path.join(sshDir, "authorized_keys");
  const setKeys = (keys: string[]) => project.pulumi(["config", "set", "keys", JSON.stringify(keys)]);
  const up = () => spawnSync(path.join(BIN_DIR, "pulumi"), ["up", "--yes", "--skip-preview", "--non-interactive"], { cwd: project.dir, env: project.env, encoding: "utf8", timeout: 600_000 });

  before(async () => {
    assert.equal(reason, undefined, `CI=true and ${reason}`);
    dir = strictModesDir("docstown-keys-engine-");
    const build = path.join(dir, "image");
    fs.mkdirSync(path.join(build, "rootfs/bin"), { recursive: true });
    fs.copyFileSync(BUSYBOX, path.join(build, "rootfs/bin/busybox"));
    fs.chmodSync(path.join(build, "rootfs/bin/busybox"), 0o755);
    for (const applet of ["sh", "awk", "printf", "chmod", "mv", "grep", "rm"]) fs.symlinkSync("busybox", path.join(build, "rootfs/bin", applet));
    fs.writeFileSync(path.join(build, "Dockerfile"), ["FROM scratch", "COPY rootfs/ /", "ENV PATH=/bin", `LABEL docstown.test=${RUN}`, ""].join("\n"));
    const built = docker(["build", "-q", "-t", IMAGE, build]);
    assert.equal(built.status, 0, built.out);

    [deploy, leaving, joining] = ["deploy", "leaving", "joining"].map((n) => keyPair(dir, n)) as [Pair, Pair, Pair];
    sshDir = path.join(dir, ".ssh");
    fs.mkdirSync(sshDir, { mode: 0o700 });
    fs.writeFileSync(file(), `${deploy.line}\n`, { mode: 0o600 });
    for (const p of [sshDir, file()]) fs.chownSync(p, 1000, 1000);

    transport = await startLoopbackSshd();
    // The file belongs to uid 1000 (deploy's on the droplet) and this sshd logs in as root, so
    // StrictModes is off here; the owner and mode are asserted instead.
    login = await startKeysSshd(dir, file(), false);
    project = smokeProject(BIN_DIR, "authorized-keys", ["@pulumi/docker"], PROGRAM);
    project.env["SSH_AUTH_SOCK"] = transport.agentSocket;
    project.pulumi(["stack", "init", "keys"]);
    project.pulumi(["config", "set", "dockerHost", transport.dockerHost]);
    project.pulumi(["config", "set", "knownHostsLine", transport.knownHostsLine]);
    project.pulumi(["config", "set", "image", IMAGE]);
    project.pulumi(["config", "set", "sshDir", sshDir]);
    project.pulumi(["config", "set", "deployKey", sshKeyFingerprint(deploy.line)]);
  });

  after(() => {
    if (project !== undefined) {
      spawnSync(path.join(BIN_DIR, "pulumi"), ["destroy", "--yes", "--skip-preview", "--non-interactive"], { cwd: project.dir, env: project.env, stdio: "ignore", timeout: 300_000 });
      project.cleanup();
    }
    const left = docker(["ps", "-aq", "--filter", "label=docstown.step=authorized-keys", "--filter", "label=docstown.host=loopback-1"]).out.split("\n").filter(Boolean);
    if (left.length > 0) docker(["rm", "-f", ...left]);
    docker(["rmi", "-f", IMAGE]);
    login?.stop();
    transport?.stop();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  test("first up writes the list: the deploy user's file, 0600; the leaving operator logs in", STEP, () => {
    setKeys([deploy.line, leaving.line]);
    const r = up();
    assert.equal(r.status, 0, `${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
    assert.equal(fs.readFileSync(file(), "utf8"), authorizedKeysFile([deploy.line, leaving.line]));
    const st = fs.statSync(file());
    assert.deepEqual([st.uid, st.gid, st.mode & 0o777], [1000, 1000, 0o600]);
    assert.equal(login.canLogin(leaving.file), true);
    assert.equal(login.canLogin(joining.file), false);
  });

  test("a changed list: the step runs again, the joining key logs in, the leaving one is refused, the deploy key stays", STEP, () => {
    setKeys([deploy.line, joining.line]);
    const r = up();
    assert.equal(r.status, 0, `${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
    assert.equal(fs.readFileSync(file(), "utf8"), authorizedKeysFile([deploy.line, joining.line]));
    assert.equal(login.canLogin(joining.file), true);
    assert.equal(login.canLogin(leaving.file), false);
    assert.equal(login.canLogin(deploy.file), true);
  });

  test("nothing to do right after: the step's inputs read back as declared (no rewrite on every up)", STEP, () => {
    project.pulumi(["preview", "--expect-no-changes"]);
  });

  test("a list without the deploy key: the program refuses it, the file is left as it was", STEP, () => {
    const before = fs.readFileSync(file(), "utf8");
    setKeys([joining.line]);
    const r = up();
    assert.notEqual(r.status, 0);
    assert.match(`${r.stdout}${r.stderr}`, /no key with fingerprint SHA256:\S+ \(operators\.deployKey\) in the list; it would lock the deploy out/);
    assert.equal(fs.readFileSync(file(), "utf8"), before);
    assert.equal(login.canLogin(deploy.file), true);
  });
});
