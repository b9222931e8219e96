// Runs the real src/server/mount-volume.sh as root against real loop devices.
// Each case builds its own fixture: a sparse image behind a loop device, a symlink standing in for
// /dev/disk/by-id/scsi-0DO_Volume_<name>, a mount point and a private fstab (FSTAB env).
import { test, after, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

// Overridable so that mutation checks can run a broken copy without touching the real script.
const SCRIPT = process.env.MOUNT_VOLUME_SCRIPT ?? path.resolve(__dirname, "../../src/server/mount-volume.sh");
const OPTIONS = "defaults,nofail,discard,noatime";
const APP = "1000:1000";

function has(cmd: string): boolean {
  return spawnSync("sh", ["-c", 'command -v "$1"', "sh", cmd], { stdio: "ignore" }).status === 0;
}

const skipReason: string | false = (() => {
  if (process.platform !== "linux") return "needs Linux (loop devices)";
  if (process.getuid?.() !== 0) return "needs root to attach loop devices, format and mount";
  for (const cmd of ["losetup", "blkid", "mkfs.ext4", "mount", "umount", "mountpoint", "findmnt", "setpriv", "sha256sum"]) {
    if (!has(cmd)) return `${cmd} is not installed`;
  }
  if (spawnSync("losetup", ["--find"], { stdio: "ignore" }).status !== 0) return "no loop device available (losetup --find failed)";
  return false;
})();

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout.trim();
}

interface Fixture {
  dir: string;
  device: string; // the by-id style symlink passed to the script
  loop?: string; // /dev/loopN behind it
  mp: string;
  fstab: string;
  cleaned?: boolean;
}
const fixtures: Fixture[] = [];

const BASE_FSTAB = "# <file system> <mount point> <type> <options> <dump> <pass>\nLABEL=cloudimg-rootfs / ext4 discard,errors=remount-ro 0 1\n";

function fixture(t: TestContext, attach = true): Fixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mount-volume-"));
  // Traversable by uid 1000, so that the write probes test the mount point's own permissions.
  fs.chmodSync(dir, 0o755);
  fs.mkdirSync(path.join(dir, "data"), { mode: 0o755 });
  fs.chmodSync(path.join(dir, "data"), 0o755);
  fs.mkdirSync(path.join(dir, "by-id"));
  const f: Fixture = {
    dir,
    device: path.join(dir, "by-id", "scsi-0DO_Volume_test"),
    mp: path.join(dir, "data", "repos"),
    fstab: path.join(dir, "fstab"),
  };
  fixtures.push(f);
  t.after(() => cleanup(f));
  fs.writeFileSync(f.fstab, BASE_FSTAB);
  if (attach) {
    const image = path.join(dir, "volume.img");
    fs.writeFileSync(image, "");
    fs.truncateSync(image, 64 * 1024 * 1024);
    f.loop = sh("losetup", ["--find", "--show", image]);
    fs.symlinkSync(f.loop, f.device);
  } else {
    fs.symlinkSync(path.join(dir, "no-such-device"), f.device);
  }
  return f;
}

/** Mount entries whose mount point is exactly mp (stacked mounts count separately). */
function mounts(mp: string): { options: string; fstype: string; source: string }[] {
  return fs
    .readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" "))
    .filter((fields) => fields[4] === mp)
    .map((fields) => {
      const rest = fields.slice(fields.indexOf("-") + 1);
      return { options: `${fields[5]},${rest[2]}`, fstype: rest[0] ?? "", source: rest[1] ?? "" };
    });
}

function cleanup(f: Fixture): void {
  if (f.cleaned) return;
  for (let i = 0; i < 10 && mounts(f.mp).length > 0; i++) spawnSync("umount", [f.mp]);
  if (f.loop) spawnSync("losetup", ["--detach", f.loop]);
  // Never recurse into a filesystem that is still mounted.
  if (mounts(f.mp).length === 0) fs.rmSync(f.dir, { recursive: true, force: true });
  f.cleaned = true;
}
after(() => fixtures.forEach(cleanup));

function run(f: Fixture, env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync("/bin/sh", [SCRIPT, f.device, f.mp, APP], {
    encoding: "utf8",
    timeout: 20_000,
    env: { ...process.env, FSTAB: f.fstab, MOUNT_VOLUME_WAIT_SECONDS: "1", ...env },
  });
}

function assertExit(r: SpawnSyncReturns<string>, code: number): void {
  assert.equal(r.status, code, `exit ${r.status} (expected ${code}); stderr:\n${r.stderr}`);
}

function blkid(dev: string, tag: "TYPE" | "UUID"): string {
  return spawnSync("blkid", ["-p", "-o", "value", "-s", tag, dev], { encoding: "utf8" }).stdout.trim();
}

/** Non-comment fstab lines for mp, split into fields. */
function fstabEntries(f: Fixture): string[][] {
  return fs
    .readFileSync(f.fstab, "utf8")
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((fields) => !fields[0]?.startsWith("#") && fields[1] === f.mp);
}

/** Tries to create a file in dir as the app user (uid/gid 1000, no supplementary groups). */
function writeAsApp(dir: string): boolean {
  const [uid, gid] = APP.split(":");
  return spawnSync("setpriv", [`--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", "touch", path.join(dir, "probe")], { stdio: "ignore" }).status === 0;
}

function assertMountedOnce(f: Fixture): void {
  const m = mounts(f.mp);
  assert.equal(m.length, 1, `expected exactly one mount at ${f.mp}, got ${JSON.stringify(m)}`);
  assert.equal(m[0]?.source, f.loop);
  assert.equal(m[0]?.fstype, "ext4");
}

function assertRootOnlyAndEmpty(f: Fixture): void {
  assert.equal(mounts(f.mp).length, 0, "nothing may be mounted");
  const st = fs.statSync(f.mp);
  assert.equal(`${st.uid}:${st.gid}`, "0:0", "mount point must be owned by root");
  assert.equal(st.mode & 0o7777, 0, `mount point mode must be 0000, is ${(st.mode & 0o7777).toString(8)}`);
  assert.equal(writeAsApp(f.mp), false, "uid 1000 must not be able to write into the unmounted mount point");
  assert.deepEqual(fs.readdirSync(f.mp), [], "nothing may be written under the mount point");
}

test("(a) blank device: formatted once, mounted, top directory owned by 1000:1000", { skip: skipReason }, (t) => {
  const f = fixture(t);
  assert.equal(blkid(f.loop!, "TYPE"), "", "fixture must start blank");
  const r = run(f);
  assertExit(r, 0);
  assert.equal(r.stderr.match(/creating an ext4 filesystem/g)?.length, 1, r.stderr);
  assert.equal(blkid(f.loop!, "TYPE"), "ext4");
  assertMountedOnce(f);
  const st = fs.statSync(f.mp);
  assert.equal(`${st.uid}:${st.gid}`, APP);
  // Positive control for (d): the same probe succeeds once the volume is mounted.
  assert.equal(writeAsApp(f.mp), true, "uid 1000 must be able to write into the mounted volume");
});

test("(b) existing ext4 volume: mounted, data intact, not reformatted", { skip: skipReason }, (t) => {
  const f = fixture(t);
  sh("mkfs.ext4", ["-q", f.loop!]);
  const uuid = blkid(f.loop!, "UUID");
  const staging = path.join(f.dir, "staging");
  fs.mkdirSync(staging);
  sh("mount", [f.loop!, staging]);
  fs.mkdirSync(path.join(staging, "repo"));
  fs.writeFileSync(path.join(staging, "repo", "README.md"), "cloned before the droplet was replaced\n");
  sh("umount", [staging]);

  const r = run(f);
  assertExit(r, 0);
  assert.doesNotMatch(r.stderr, /creating an ext4 filesystem/);
  assert.equal(blkid(f.loop!, "UUID"), uuid, "filesystem UUID changed: the volume was reformatted");
  assertMountedOnce(f);
  assert.equal(fs.readFileSync(path.join(f.mp, "repo", "README.md"), "utf8"), "cloned before the droplet was replaced\n");
  // Only the top directory is chowned: a recursive chown of a big clone at every boot is slow.
  const inner = fs.statSync(path.join(f.mp, "repo", "README.md"));
  assert.equal(`${inner.uid}:${inner.gid}`, "0:0", "contents were chowned recursively");
});

test("(c) second run changes nothing: no reformat, one fstab line, no stacked mount", { skip: skipReason }, (t) => {
  const f = fixture(t);
  assertExit(run(f), 0);
  const uuid = blkid(f.loop!, "UUID");
  const fstabBefore = fs.statSync(f.fstab);
  const fstabText = fs.readFileSync(f.fstab, "utf8");

  const r = run(f);
  assertExit(r, 0);
  assert.equal(r.stderr, "", "second run should have nothing to do");
  assert.equal(blkid(f.loop!, "UUID"), uuid, "second run reformatted the volume");
  assert.equal(fs.readFileSync(f.fstab, "utf8"), fstabText);
  assert.equal(fs.statSync(f.fstab).ino, fstabBefore.ino, "fstab was rewritten");
  assert.equal(fstabEntries(f).length, 1);
  assertMountedOnce(f);
});

test("(d) device missing: non-zero exit naming it, mount point root-only and empty", { skip: skipReason }, (t) => {
  const f = fixture(t, false);
  // Worst case: an earlier boot (or a person) left the directory owned by the app user.
  fs.mkdirSync(f.mp, { mode: 0o755 });
  fs.chownSync(f.mp, 1000, 1000);

  const r = run(f);
  assertExit(r, 1);
  assert.ok(r.stderr.includes(f.device), `stderr must name the device:\n${r.stderr}`);
  assertRootOnlyAndEmpty(f);
  assert.equal(fs.readFileSync(f.fstab, "utf8"), BASE_FSTAB, "fstab must not change");
});

test("(d2) device missing and no mount point yet: created root-only", { skip: skipReason }, (t) => {
  const f = fixture(t, false);
  const r = run(f, { MOUNT_VOLUME_WAIT_SECONDS: "0" });
  assertExit(r, 1);
  assert.ok(r.stderr.includes(f.device), r.stderr);
  assertRootOnlyAndEmpty(f);
});

test("(e) fstab: one entry with nofail and the brief's options, stale entry replaced, others kept", { skip: skipReason }, (t) => {
  const f = fixture(t);
  const other = "/dev/disk/by-id/scsi-0DO_Volume_other /data/other ext4 defaults,nofail 0 2";
  const comment = `# ${f.device} ${f.mp} ext4 an-old-comment 0 0`;
  fs.writeFileSync(f.fstab, `${BASE_FSTAB}${comment}\n/dev/sdz\t${f.mp}\txfs\tdefaults\t0 0\n${other}\n`);

  assertExit(run(f), 0);
  assert.deepEqual(fstabEntries(f), [[f.device, f.mp, "ext4", OPTIONS, "0", "2"]]);
  assert.ok(fstabEntries(f)[0]?.[3]?.split(",").includes("nofail"));
  const text = fs.readFileSync(f.fstab, "utf8");
  for (const kept of [...BASE_FSTAB.trim().split("\n"), comment, other]) assert.ok(text.includes(kept + "\n"), `lost line: ${kept}`);
  // The mount came from that entry: its options are in effect.
  const opts = mounts(f.mp)[0]?.options.split(",") ?? [];
  for (const o of ["noatime", "discard"]) assert.ok(opts.includes(o), `mount lacks ${o}: ${opts.join(",")}`);
});

test("(f) device holding something other than a blank disk or ext4 is refused, never formatted", { skip: skipReason }, async (t) => {
  const kinds: { name: string; tool: string; prepare: (dev: string) => void }[] = [
    { name: "ext2 filesystem", tool: "mkfs.ext2", prepare: (d) => sh("mkfs.ext2", ["-q", d]) },
    { name: "vfat filesystem", tool: "mkfs.vfat", prepare: (d) => sh("mkfs.vfat", [d]) },
    { name: "swap signature", tool: "mkswap", prepare: (d) => sh("mkswap", [d]) },
    { name: "partition table, no filesystem", tool: "sfdisk", prepare: (d) => sh("sh", ["-c", 'echo ",16M" | sfdisk -q --no-reread "$1"', "sh", d]) },
    // No signature blkid knows, but not blank either (e.g. a damaged superblock): keep it.
    { name: "unrecognised non-zero data", tool: "dd", prepare: (d) => sh("sh", ["-c", 'yes "DocsTown repo data" | head -c 8192 | dd of="$1" conv=notrunc status=none', "sh", d]) },
  ];
  for (const kind of kinds) {
    await t.test(kind.name, { skip: has(kind.tool) ? false : `${kind.tool} is not installed` }, (st) => {
      const f = fixture(st);
      kind.prepare(f.loop!);
      const type = blkid(f.loop!, "TYPE");
      const sum = sh("sha256sum", [f.loop!]);

      const r = run(f);
      assertExit(r, 3);
      assert.ok(r.stderr.includes(f.device), r.stderr);
      assert.match(r.stderr, /refusing/);
      assert.equal(blkid(f.loop!, "TYPE"), type);
      assert.equal(sh("sha256sum", [f.loop!]), sum, "the device was written to");
      assertRootOnlyAndEmpty(f);
      assert.deepEqual(fstabEntries(f), [], "no fstab entry for a refused device");
    });
  }
});

test("(g) a device that appears a moment late is waited for", { skip: skipReason }, async (t) => {
  const f = fixture(t);
  fs.unlinkSync(f.device);
  const child = spawn("/bin/sh", [SCRIPT, f.device, f.mp, APP], {
    env: { ...process.env, FSTAB: f.fstab, MOUNT_VOLUME_WAIT_SECONDS: "10" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  setTimeout(() => fs.symlinkSync(f.loop!, f.device), 1500);
  assert.equal(await exited, 0, stderr);
  assertMountedOnce(f);
});

test("(h) something else already mounted at the mount point: refused, left alone", { skip: skipReason }, (t) => {
  const f = fixture(t);
  fs.mkdirSync(f.mp);
  sh("mount", ["-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", f.mp]);
  const r = run(f);
  assertExit(r, 4);
  assert.match(r.stderr, /already mounted from tmpfs/);
  assert.equal(mounts(f.mp).length, 1, "must not stack the volume on top");
  assert.equal(fs.statSync(f.mp).uid, 0, "must not chown a filesystem that is not the volume");
});
