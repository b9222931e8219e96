// The authorized_keys step as declared (authorizedKeysContainerArgs), run on a real Docker engine
// with the deploy user's .ssh directory bind-mounted: the file it leaves is the deploy user's
// (1000:1000), mode 0600, holding the new list, in a directory it did not touch; a list without
// the deploy key exits 3 and leaves the file as it was. The image is built FROM scratch from this
// machine's busybox (sh, awk, printf, chmod, mv, grep: what the step uses from the app image).
// Logins against the written file (sshd accepting and refusing keys): authorized-keys.test.ts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import type * as pulumiDocker from "@pulumi/docker";
import { DEPLOY_SSH_DIR, authorizedKeysContainerArgs, authorizedKeysFile } from "../../src/server/authorized-keys";
import { sshKeyFingerprint } from "../../src/config/ssh-fingerprint";
import { keyPair, strictModesDir } from "./keys-sshd";
import { skipUnlessCi } from "../demo/support";

const BUSYBOX = "/bin/busybox";
function why(): string | false {
  const info = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { encoding: "utf8", timeout: 15000 });
  if (info.error !== undefined || info.status !== 0) return "no Docker engine";
  if (!fs.existsSync(BUSYBOX)) return `${BUSYBOX} is missing (apt-get install busybox-static)`;
  if (spawnSync("ssh-keygen", ["-?"]).error !== undefined) return "ssh-keygen is missing";
  if (process.getuid?.() !== 0) return "needs root (a directory owned by uid 1000)";
  return false;
}
// Skipped with the reason where a tool is missing, except under CI=true, where that fails.
const skip = skipUnlessCi(why() || undefined);

const RUN = `docstown-keys-${randomBytes(4).toString("hex")}`;
const LABEL = `docstown.test=${RUN}`;
const IMAGE = `${RUN}-sh:test`;

function docker(args: string[]): { status: number | null; out: string } {
  const r = spawnSync("docker", args, { encoding: "utf8", timeout: 120000, env: { ...process.env, DOCKER_BUILDKIT: "0" } });
  return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

/** `docker create` flags for the fields the step declares; any other field fails the test. */
function createFlags(args: pulumiDocker.ContainerArgs, sshDir: string): string[] {
  const flags: string[] = ["--label", LABEL];
  for (const [key, value] of Object.entries(args as unknown as Record<string, unknown>)) {
    const v = value as never;
    switch (key) {
      case "image": case "command": case "mustRun": case "attach": case "logs": break;
      case "user": flags.push("--user", v); break;
      case "capabilities": for (const c of (v as { drops?: string[] }).drops ?? []) flags.push("--cap-drop", c); break;
      case "securityOpts": for (const o of v as string[]) flags.push("--security-opt", o); break;
      case "logDriver": flags.push("--log-driver", v); break;
      case "logOpts": for (const [k, o] of Object.entries(v as Record<string, string>)) flags.push("--log-opt", `${k}=${o}`); break;
      case "memory": flags.push("--memory", `${String(v)}m`); break;
      case "memorySwap": flags.push("--memory-swap", `${String(v)}m`); break;
      case "restart": flags.push("--restart", v); break;
      case "readOnly": if (value === true) flags.push("--read-only"); break;
      case "networkMode": flags.push("--network", v); break;
      // The declared host path is the droplet's; here the test's directory stands in for it.
      case "volumes": for (const m of v as { hostPath: string; containerPath: string }[]) {
        assert.equal(m.hostPath, DEPLOY_SSH_DIR);
        flags.push("-v", `${sshDir}:${m.containerPath}`);
      } break;
      case "envs": for (const e of v as string[]) flags.push("-e", e); break;
      case "labels": for (const l of v as { label: string; value: string }[]) flags.push("--label", `${l.label}=${l.value}`); break;
      default: throw new Error(`the test does not translate ${key}: add it to createFlags`);
    }
  }
  return flags;
}

/** Runs the step attached, as the provider does with `attach: true`; its exit code and output. */
function runStep(sshDir: string, keys: string[], deployKey: string): { code: number; output: string } {
  const args = authorizedKeysContainerArgs({ image: IMAGE, keys, deployKey, extraLabels: {} });
  const name = `${RUN}-${randomBytes(2).toString("hex")}`;
  const created = docker(["create", "--pull", "never", "--name", name, ...createFlags(args, sshDir), IMAGE, ...(args.command as string[])]);
  assert.equal(created.status, 0, created.out);
  const started = docker(["start", "-a", name]);
  const code = Number(docker(["inspect", "-f", "{{.State.ExitCode}}", name]).out);
  docker(["rm", "-f", name]);
  return { code, output: started.out };
}

describe("the authorized_keys step on a real Docker engine", { skip }, () => {
  let dir: string;
  let sshDir: string;
  type Pair = { file: string; line: string };
  let deploy: Pair;
  let leaving: Pair;
  let joining: Pair;
  const file = () => path.join(sshDir, "authorized_keys");

  before(() => {
    dir = strictModesDir("docstown-keys-docker-");
    const build = path.join(dir, "image");
    fs.mkdirSync(path.join(build, "rootfs/bin"), { recursive: true });
    fs.copyFileSync(BUSYBOX, path.join(build, "rootfs/bin/busybox"));
    fs.chmodSync(path.join(build, "rootfs/bin/busybox"), 0o755);
    for (const applet of ["sh", "awk", "printf", "chmod", "mv", "grep", "rm", "cat"]) fs.symlinkSync("busybox", path.join(build, "rootfs/bin", applet));
    fs.writeFileSync(path.join(build, "Dockerfile"), ["FROM scratch", "COPY rootfs/ /", "ENV PATH=/bin", `LABEL ${LABEL}`, ""].join("\n"));
    const built = docker(["build", "-q", "-t", IMAGE, build]);
    assert.equal(built.status, 0, built.out);
    [deploy, leaving, joining] = ["deploy", "leaving", "joining"].map((n) => keyPair(dir, n)) as [Pair, Pair, Pair];
    // As cloud-init leaves it: deploy's 0700 .ssh with deploy's 0600 authorized_keys.
    sshDir = path.join(dir, ".ssh");
    fs.mkdirSync(sshDir, { mode: 0o700 });
    fs.writeFileSync(file(), `${deploy.line}\n${leaving.line}\n`, { mode: 0o600 });
    for (const p of [sshDir, file()]) fs.chownSync(p, 1000, 1000);
  });
  after(() => {
    if (!skip) {
      const left = docker(["ps", "-aq", "--filter", `label=${LABEL}`]).out.split("\n").filter(Boolean);
      if (left.length > 0) docker(["rm", "-f", ...left]);
      docker(["rmi", "-f", IMAGE]);
    }
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  test("a list without the deploy key: exit 3, the file untouched", () => {
    const before = { text: fs.readFileSync(file(), "utf8"), ino: fs.statSync(file()).ino };
    // The program never declares this (deployKeyData refuses it first): the script's own refusal,
    // with the deploy key's data given and a list that no longer holds it.
    const args = authorizedKeysContainerArgs({ image: IMAGE, keys: [deploy.line], deployKey: sshKeyFingerprint(deploy.line), extraLabels: {} });
    const envs = (args.envs as string[]).map((e) => (e.startsWith("AUTHORIZED_LINES=") ? `AUTHORIZED_LINES=${authorizedKeysFile([joining.line])}` : e));
    const name = `${RUN}-refused`;
    const created = docker(["create", "--pull", "never", "--name", name, ...createFlags({ ...args, envs }, sshDir), IMAGE, ...(args.command as string[])]);
    assert.equal(created.status, 0, created.out);
    const out = docker(["start", "-a", name]).out;
    assert.equal(docker(["inspect", "-f", "{{.State.ExitCode}}", name]).out, "3", out);
    assert.match(out, /refused: the deploy key is not in the new list; authorized_keys unchanged/);
    assert.equal(fs.readFileSync(file(), "utf8"), before.text);
    assert.equal(fs.statSync(file()).ino, before.ino);
    assert.deepEqual(fs.readdirSync(sshDir), ["authorized_keys"]);
  });

  test("the new list: the deploy user's file, 0600, by rename, in a directory left as cloud-init made it", () => {
    const ino = fs.statSync(file()).ino;
    const r = runStep(sshDir, [deploy.line, joining.line], sshKeyFingerprint(deploy.line));
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /authorized_keys: 2 key\(s\)/);
    const st = fs.statSync(file());
    assert.deepEqual([st.uid, st.gid, st.mode & 0o777], [1000, 1000, 0o600], "what StrictModes requires for deploy: its own, nobody else may write");
    assert.notEqual(st.ino, ino);
    assert.equal(fs.readFileSync(file(), "utf8"), authorizedKeysFile([deploy.line, joining.line]));
    const d = fs.statSync(sshDir);
    assert.deepEqual([d.uid, d.gid, d.mode & 0o777], [1000, 1000, 0o700]);
    assert.deepEqual(fs.readdirSync(sshDir), ["authorized_keys"]);
  });
});
