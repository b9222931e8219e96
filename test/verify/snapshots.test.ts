// npm run verify's snapshot-age check against the loopback fake of DigitalOcean's API.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { parseCliArgs, UsageError } from "../../src/verify/args";
import { checkSnapshotAge } from "../../src/verify/snapshots";
import { SNAPSHOT_MAX_AGE_HOURS } from "../../src/snapshots/units";
import { resolve } from "node:path";
const PROJECT_DIR = resolve(__dirname, "../..");
import { snapshotOf, startFakeApi, type FakeApi, type FakeVolume } from "../snapshots/fake-do-api";

const REPOS: FakeVolume = { id: "0a1b2c3d-0000-4000-8000-00000000aaaa", name: "docstown-repos", region: "fra1", sizeGb: 50 };
const NOW = new Date(Date.UTC(2026, 11, 5, 12, 0, 0));
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000);
const auto = (h: number) => {
  const at = hoursAgo(h);
  return snapshotOf(REPOS, `docstown-auto-docstown-repos-${at.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15)}`, at);
};
const settings = { volumeName: "docstown-repos", region: "fra1" };

let api: FakeApi;
before(async () => {
  api = await startFakeApi({ volumes: [REPOS] });
});
after(() => api.close());

test("passes while the newest automatic snapshot is within the bound, naming its age", async () => {
  api.snapshots = [auto(49), auto(25.5), auto(1.5)];
  const r = await checkSnapshotAge({ url: api.url, token: api.token }, settings, 5_000, NOW);
  assert.equal(r.status, "pass", r.detail);
  assert.match(r.detail, /newest of 3, docstown-auto-docstown-repos-20261205-103000, is 1\.5 h old \(bound 26 h\)/);
});

test(`fails past ${SNAPSHOT_MAX_AGE_HOURS} hours, and a snapshot taken by hand does not count`, async () => {
  api.snapshots = [auto(27), snapshotOf(REPOS, "before-upgrade", hoursAgo(1))];
  const r = await checkSnapshotAge({ url: api.url, token: api.token }, settings, 5_000, NOW);
  assert.equal(r.status, "fail");
  assert.match(r.detail, /is 27\.0 h old \(bound 26 h\)/);
});

test("fails with no automatic snapshot at all; a tighter bound is honoured", async () => {
  api.snapshots = [];
  assert.equal((await checkSnapshotAge({ url: api.url, token: api.token }, settings, 5_000, NOW)).status, "fail");
  api.snapshots = [auto(3)];
  assert.equal((await checkSnapshotAge({ url: api.url, token: api.token }, { ...settings, maxAgeHours: 2 }, 5_000, NOW)).status, "fail");
});

test("skipped, saying why, without a token", async () => {
  const r = await checkSnapshotAge(undefined, settings, 5_000, NOW);
  assert.equal(r.status, "skip");
  assert.match(r.detail, /DIGITALOCEAN_TOKEN/);
});

test("--stack production checks the volume it mounts; --snapshot-max-age-hours needs a digitalocean stack", () => {
  const cli = parseCliArgs(["--stack", "production", "--snapshot-max-age-hours", "30"], {}, PROJECT_DIR);
  assert.deepEqual(cli.verify.snapshots, { volumeName: "docstown-repos", region: "fra1", maxAgeHours: 30 });
  assert.throws(() => parseCliArgs(["--domain", "docstown.org", "--snapshot-max-age-hours", "30"], {}, PROJECT_DIR), UsageError);
});
