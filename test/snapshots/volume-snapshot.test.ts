// Runs the real src/snapshots/volume-snapshot.sh (curl + jq) against a loopback fake of
// DigitalOcean's API; the freeze cases run it on a real ext4 filesystem behind a loop device.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, test, type TestContext } from "node:test";
import { snapshotOf, startFakeApi, type FakeApi, type FakeSnapshot, type FakeVolume } from "./fake-do-api";

// Overridable so that a broken copy can be run without touching the real script.
const SCRIPT = process.env.VOLUME_SNAPSHOT_SCRIPT ?? path.resolve(__dirname, "../../src/snapshots/volume-snapshot.sh");
const REGION = "fra1";
const REPOS: FakeVolume = { id: "0a1b2c3d-0000-4000-8000-00000000aaaa", name: "docstown-repos", region: REGION, sizeGb: 50 };
// A neighbour whose name starts like ours, in the same account.
const OTHER: FakeVolume = { id: "0a1b2c3d-0000-4000-8000-00000000bbbb", name: "docstown-repos-2", region: REGION, sizeGb: 20 };

const has = (cmd: string) => spawnSync("sh", ["-c", 'command -v "$1"', "sh", cmd], { stdio: "ignore" }).status === 0;
const toolsMissing = ["curl", "jq", "setsid", "timeout", "mountpoint"].find((c) => !has(c));
const skipTools = toolsMissing === undefined ? false : `${toolsMissing} is not installed`;

const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function workdir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "volume-snapshot-"));
  dirs.push(dir);
  return dir;
}

function writeConfig(dir: string, api: FakeApi, keep: number): string {
  const file = path.join(dir, "volume-snapshot.env");
  fs.writeFileSync(file, `DIGITALOCEAN_TOKEN=${api.token}\nREGION=${REGION}\nKEEP=${keep}\n`, { mode: 0o600 });
  return file;
}

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function start(args: string[], env: Record<string, string>, stdin?: string): { child: ChildProcess; done: Promise<Result>; exited: Promise<NodeJS.Signals | null> } {
  const child = spawn("/bin/sh", [SCRIPT, ...args], { env: { ...process.env, ...env }, stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  child.stdin?.end(stdin ?? "");
  const done = new Promise<Result>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stderr })));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  return { child, done, exited };
}

/** Ours: automatic snapshots of the repos volume, one a day back from yesterday. */
function seedOurs(count: number): FakeSnapshot[] {
  return Array.from({ length: count }, (_, i) => {
    const at = new Date(Date.UTC(2026, 10, 30 - i, 3, 0, 0));
    const stamp = at.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
    return snapshotOf(REPOS, `docstown-auto-docstown-repos-${stamp}`, at);
  });
}

function seedOthers(): FakeSnapshot[] {
  const old = new Date(Date.UTC(2025, 0, 1));
  return [
    // Taken by hand, of our volume: not ours to delete.
    snapshotOf(REPOS, "before-upgrade", old),
    snapshotOf(REPOS, "docstown-auto-docstown-repos-manual", old),
    // The neighbour's automatic snapshots (its names start with ours).
    snapshotOf(OTHER, "docstown-auto-docstown-repos-2-20250101-030000", old),
    snapshotOf(OTHER, "docstown-auto-docstown-repos-2-20250102-030000", old),
  ];
}

describe("snapshot and retention against the fake API", { skip: skipTools }, () => {
  test("keeps exactly KEEP automatic snapshots of the repos volume and touches no other snapshot", async (t) => {
    const ours = seedOurs(9);
    const others = seedOthers();
    const api = await startFakeApi({ volumes: [REPOS, OTHER], snapshots: [...others, ...ours] });
    t.after(() => api.close());
    api.pageSize = 4; // the volume holds 12 snapshots: three pages
    const dir = workdir();
    const unmounted = path.join(dir, "not-mounted");
    fs.mkdirSync(unmounted);

    const r = await start(["run", REPOS.name, unmounted], { CONFIG_FILE: writeConfig(dir, api, 3), DIGITALOCEAN_API_URL: api.url }).done;
    assert.equal(r.code, 0, r.stderr);

    const create = api.requests.filter((q) => q.method === "POST");
    assert.equal(create.length, 1);
    assert.equal(create[0]?.path, `/v2/volumes/${REPOS.id}/snapshots`);
    const name = (create[0]?.body as { name: string }).name;
    assert.match(name, /^docstown-auto-docstown-repos-\d{8}-\d{6}$/);

    const remainingOurs = api.snapshots.filter((s) => /^docstown-auto-docstown-repos-\d{8}-\d{6}$/.test(s.name));
    assert.deepEqual(
      remainingOurs.map((s) => s.name).sort(),
      [name, ours[0]?.name, ours[1]?.name].sort(),
      "the new snapshot and the two newest earlier ones remain",
    );
    for (const other of others) assert.ok(api.snapshots.includes(other), `${other.name} (${other.resource_id}) must remain`);
    const deleted = api.requests.filter((q) => q.method === "DELETE").map((q) => q.path);
    assert.deepEqual(deleted.sort(), ours.slice(2).map((s) => `/v2/snapshots/${s.id}`).sort());
    assert.ok(!r.stderr.includes(api.token), "the token must never be printed");
  });

  test("a failed snapshot fails the run loudly and deletes nothing", async (t) => {
    const ours = seedOurs(9);
    const api = await startFakeApi({ volumes: [REPOS, OTHER], snapshots: [...seedOthers(), ...ours] });
    t.after(() => api.close());
    api.failCreate = 500;
    const dir = workdir();
    const before = [...api.snapshots];
    const r = await start(["run", REPOS.name, dir], { CONFIG_FILE: writeConfig(dir, api, 3), DIGITALOCEAN_API_URL: api.url }).done;
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /ERROR: snapshot of docstown-repos \(.*\) failed: HTTP 500.*nothing deleted/);
    assert.deepEqual(api.requests.filter((q) => q.method === "DELETE"), []);
    assert.deepEqual(api.snapshots, before);
  });

  test("a refused token fails before any snapshot is asked for", async (t) => {
    const api = await startFakeApi({ volumes: [REPOS], snapshots: seedOurs(9) });
    t.after(() => api.close());
    const dir = workdir();
    const config = writeConfig(dir, api, 3);
    api.token = "dop_v1_rotated";
    const r = await start(["run", REPOS.name, dir], { CONFIG_FILE: config, DIGITALOCEAN_API_URL: api.url }).done;
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /looking up volume docstown-repos in fra1: HTTP 401/);
    assert.deepEqual(api.requests.filter((q) => q.method !== "GET"), []);
  });

  test("install-config writes a 0600 file from stdin and refuses anything but the three keys", async () => {
    const dir = workdir();
    const file = path.join(dir, "etc", "volume-snapshot.env");
    const good = "DIGITALOCEAN_TOKEN=dop_v1_abc123\nREGION=fra1\nKEEP=7\n";
    const ok = await start(["install-config"], { CONFIG_FILE: file }, good).done;
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(fs.readFileSync(file, "utf8"), good);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.ok(!ok.stderr.includes("dop_v1_abc123"));

    for (const [bad, why] of [
      ["DIGITALOCEAN_TOKEN=x;rm -rf /\nREGION=fra1\nKEEP=7\n", /not a token/],
      ["DIGITALOCEAN_TOKEN=abc\nREGION=fra1\nKEEP=0\n", /KEEP/],
      ["DIGITALOCEAN_TOKEN=abc\nREGION=fra1\nKEEP=7\nPATH=/tmp\n", /unexpected line/],
      ["DIGITALOCEAN_TOKEN=abc\nKEEP=7\n", /REGION missing/],
    ] as const) {
      const r = await start(["install-config"], { CONFIG_FILE: file }, bad).done;
      assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
      assert.match(r.stderr, why);
      assert.equal(fs.readFileSync(file, "utf8"), good, "a refused config leaves the previous one");
    }
  });
});

// --- freeze and thaw on a real ext4 filesystem -------------------------------------------------

const skipLoop: string | false = (() => {
  if (skipTools) return skipTools;
  if (process.platform !== "linux") return "needs Linux (loop devices)";
  if (process.getuid?.() !== 0) return "needs root to attach loop devices, mount and freeze";
  for (const cmd of ["losetup", "mkfs.ext4", "mount", "umount", "fsfreeze"]) if (!has(cmd)) return `${cmd} is not installed`;
  if (spawnSync("losetup", ["--find"], { stdio: "ignore" }).status !== 0) return "no loop device available";
  return false;
})();

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

/** An ext4 filesystem on a loop device, mounted; unfrozen, unmounted and detached after the test. */
function ext4(t: TestContext): string {
  const dir = workdir();
  const image = path.join(dir, "volume.img");
  fs.writeFileSync(image, "");
  fs.truncateSync(image, 32 * 1024 * 1024);
  const loop = sh("losetup", ["--find", "--show", image]);
  sh("mkfs.ext4", ["-q", loop]);
  const mp = path.join(dir, "repos");
  fs.mkdirSync(mp);
  sh("mount", [loop, mp]);
  t.after(() => {
    spawnSync("fsfreeze", ["--unfreeze", mp]);
    spawnSync("umount", [mp]);
    spawnSync("losetup", ["--detach", loop]);
  });
  return mp;
}

/** Resolves with how long a file creation under mp took, or "blocked" if it did not finish in ms. */
function writeWithin(mp: string, ms: number): Promise<number | "blocked"> {
  const started = Date.now();
  const child = spawn("sh", ["-c", 'echo probe > "$1/probe-$$"', "sh", mp], { stdio: "ignore" });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve("blocked"), ms);
    child.on("close", () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
}

interface Frozen {
  api: FakeApi;
  run: ReturnType<typeof start>;
  release: () => void;
}

/** Starts a run whose snapshot request the fake API holds; resolves once that request arrived. */
async function runHeldAtSnapshot(t: TestContext, mp: string, freezeMax: number): Promise<Frozen> {
  const api = await startFakeApi({ volumes: [REPOS], snapshots: seedOurs(9) });
  let release = () => {};
  api.holdCreate = new Promise<void>((resolve) => (release = resolve));
  const arrived = new Promise<void>((resolve) => (api.onCreate = resolve));
  t.after(async () => {
    release();
    await api.close();
  });
  const dir = workdir();
  const run = start(["run", REPOS.name, mp], {
    CONFIG_FILE: writeConfig(dir, api, 3),
    DIGITALOCEAN_API_URL: api.url,
    FREEZE_MAX_SECONDS: String(freezeMax),
  });
  await arrived;
  return { api, run, release };
}

describe("freeze and thaw on a real ext4 filesystem", { skip: skipLoop }, () => {
  test("the filesystem is frozen while the snapshot is requested and thawed once it answered", async (t) => {
    const mp = ext4(t);
    const { api, run, release } = await runHeldAtSnapshot(t, mp, 30);
    const pending = writeWithin(mp, 60_000);
    assert.equal(await Promise.race([pending, new Promise((r) => setTimeout(() => r("blocked"), 700))]), "blocked", "a write must wait while frozen");
    release();
    const r = await run.done;
    assert.equal(r.code, 0, r.stderr);
    assert.notEqual(await pending, "blocked", "the held write completes after the thaw");
    assert.match(r.stderr, /froze .*\n(.*\n)*.*thawed/);
    assert.equal(api.snapshots.filter((s) => s.name.startsWith("docstown-auto-")).length, 3);
  });

  test("SIGKILL mid-snapshot: the watchdog thaws within FREEZE_MAX_SECONDS and nothing is deleted", async (t) => {
    const mp = ext4(t);
    const { api, run } = await runHeldAtSnapshot(t, mp, 1);
    assert.equal(await writeWithin(mp, 300), "blocked", "frozen while the snapshot request is held");
    const killedAt = Date.now();
    run.child.kill("SIGKILL");
    assert.equal(await run.exited, "SIGKILL");
    const took = await writeWithin(mp, 10_000);
    assert.notEqual(took, "blocked", "the filesystem must be thawed after the bound");
    const thawedAfter = Date.now() - killedAt;
    assert.ok(thawedAfter < 1_000 + 2_000, `thawed ${thawedAfter} ms after the kill (bound 1 s)`);
    assert.deepEqual(api.requests.filter((q) => q.method === "DELETE"), []);
  });

  test("SIGTERM mid-snapshot: thawed at once by the trap, the run fails", async (t) => {
    const mp = ext4(t);
    const { api, run } = await runHeldAtSnapshot(t, mp, 60);
    assert.equal(await writeWithin(mp, 500), "blocked");
    run.child.kill("SIGTERM");
    // The API still holds the request: the trap must not wait for curl.
    const took = await writeWithin(mp, 2_000);
    assert.notEqual(took, "blocked", "thawed at once, not after curl's timeout or the 60 s watchdog");
    const r = await run.done;
    assert.notEqual(r.code, 0);
    assert.deepEqual(api.requests.filter((q) => q.method === "DELETE"), []);
  });
});
