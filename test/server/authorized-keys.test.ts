// The deploy user's authorized_keys replaced in place from docstown:operators.sshPublicKeys: the
// step's own script, run by this machine's sh, against a real sshd on loopback with StrictModes on
// (as production's): the new key logs in, the removed one no longer does, the deploy key always
// does, the file is replaced by a rename (never rewritten in place), and a list without the deploy
// key is refused with the old file left as it was. The container as declared, on a real Docker
// engine: authorized-keys-step.engine.test.ts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import {
  AUTHORIZED_KEYS_STEP, DEPLOY_ENV, DEPLOY_SSH_DIR, DEPLOY_UID_GID, KEYS_MOUNT, LIST_ENV,
  authorizedKeysContainerArgs, authorizedKeysFile, authorizedKeysScript, deployKeyData, keysStepFailure,
} from "../../src/server/authorized-keys";
import { sshKeyFingerprint } from "../../src/config/ssh-fingerprint";
import { keyPair, sshdMissing, startKeysSshd, strictModesDir, type KeysSshd } from "./keys-sshd";

const skip = sshdMissing();

/** Runs the step's script with this machine's sh on `sshDir`, as the container runs it. */
function runScript(sshDir: string, keys: string[], deployKey: string): { status: number | null; stdout: string; stderr: string } {
  const data = keys.find((k) => sshKeyFingerprint(k) === deployKey)?.split(/\s+/)[1] ?? deployKey;
  const r = spawnSync("sh", ["-c", authorizedKeysScript(sshDir)], {
    encoding: "utf8",
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", [LIST_ENV]: authorizedKeysFile(keys), [DEPLOY_ENV]: data },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("the file and the script", () => {
  const a = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC7iwlyD5cEPZw7bBIsHlTTcYk6rBmJ5MlsLoAOXpGRy ada@docstown";
  test("one line per distinct key, in order, under a header saying where it comes from", () => {
    const file = authorizedKeysFile([a, a.replace("ada@", "ada-laptop@")]);
    assert.equal(file, `# Written by pulumi up from docstown:operators.sshPublicKeys; edits here are overwritten.\n${a}\n`);
    assert.throws(() => authorizedKeysFile(["ssh-ed25519 AAAA x\nssh-rsa AAAA y"]), /one non-empty line/);
  });

  test("the deploy key's data is looked up by fingerprint; a list without it is refused", () => {
    assert.equal(deployKeyData([a], sshKeyFingerprint(a)), a.split(" ")[1]);
    assert.throws(() => deployKeyData([a], "SHA256:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), /lock the deploy out/);
  });

  test("the container binds the deploy user's .ssh only, as that user, with nothing else", () => {
    const args = authorizedKeysContainerArgs({ image: "sha256:abc", keys: [a], deployKey: sshKeyFingerprint(a), extraLabels: {} });
    assert.equal(args.user, DEPLOY_UID_GID);
    assert.deepEqual(args.volumes, [{ hostPath: DEPLOY_SSH_DIR, containerPath: KEYS_MOUNT }]);
    assert.equal(args.networkMode, "none");
    assert.equal(args.readOnly, true);
    assert.deepEqual(args.capabilities, { drops: ["ALL"] });
    assert.deepEqual(args.labels, [{ label: "docstown.role", value: "migrate" }, { label: "docstown.step", value: AUTHORIZED_KEYS_STEP }]);
    assert.deepEqual(args.envs, [`${LIST_ENV}=${authorizedKeysFile([a])}`, `${DEPLOY_ENV}=${a.split(" ")[1]}`]);
  });

  test("a failed step names the container, says the file is unchanged and shows its output", () => {
    assert.equal(keysStepFailure(0, "c", ""), undefined);
    assert.match(keysStepFailure(3, "keys-1", "refused: the deploy key is not in the new list; authorized_keys unchanged") ?? "",
      /container keys-1 exited with code 3; the deploy user's authorized_keys is unchanged.*\n {2}\| refused: the deploy key/s);
  });
});

describe("a real sshd (StrictModes on) reading the file the script replaces", { skip }, () => {
  let dir: string;
  let sshDir: string;
  let sshd: KeysSshd;
  let deploy: { file: string; line: string };
  let leaving: { file: string; line: string };
  let joining: { file: string; line: string };
  const file = () => path.join(sshDir, "authorized_keys");

  before(async () => {
    dir = strictModesDir("docstown-keys-");
    sshDir = path.join(dir, ".ssh");
    fs.mkdirSync(sshDir, { mode: 0o700 });
    [deploy, leaving, joining] = ["deploy", "leaving", "joining"].map((n) => keyPair(dir, n)) as [typeof deploy, typeof deploy, typeof deploy];
    // What the droplet has today: the deploy key and an operator who is about to leave.
    fs.writeFileSync(file(), authorizedKeysFile([deploy.line, leaving.line]), { mode: 0o600 });
    sshd = await startKeysSshd(dir, file(), true);
  });
  after(() => {
    sshd?.stop();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  test("before: the leaving operator logs in, the joining one does not", () => {
    assert.equal(sshd.canLogin(leaving.file), true);
    assert.equal(sshd.canLogin(joining.file), false);
  });

  test("a list without the deploy key is refused: exit 3, the file byte for byte and inode as it was", () => {
    const before = { text: fs.readFileSync(file(), "utf8"), ino: fs.statSync(file()).ino };
    const r = runScript(sshDir, [joining.line], sshKeyFingerprint(deploy.line));
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /refused: the deploy key is not in the new list; authorized_keys unchanged/);
    assert.equal(fs.readFileSync(file(), "utf8"), before.text);
    assert.equal(fs.statSync(file()).ino, before.ino);
    assert.deepEqual(fs.readdirSync(sshDir), ["authorized_keys"], "no temporary file left behind");
  });

  test("the new list replaces the file by a rename: the joining key logs in, the leaving one is refused, the deploy key still works", () => {
    const oldIno = fs.statSync(file()).ino;
    const r = runScript(sshDir, [deploy.line, joining.line], sshKeyFingerprint(deploy.line));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), "authorized_keys: 2 key(s)");
    const st = fs.statSync(file());
    assert.notEqual(st.ino, oldIno, "a new inode: renamed over the old file, never truncated and rewritten");
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(fs.readFileSync(file(), "utf8"), authorizedKeysFile([deploy.line, joining.line]));
    assert.deepEqual(fs.readdirSync(sshDir), ["authorized_keys"]);
    assert.equal(sshd.canLogin(joining.file), true);
    assert.equal(sshd.canLogin(leaving.file), false);
    assert.equal(sshd.canLogin(deploy.file), true);
  });
});
