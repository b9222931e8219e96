// The runner's SSH opening against a loopback fake of DigitalOcean's Firewalls API: what a deploy
// or drift job relies on (exactly its own address on tcp/22, on the droplet's tag, applied before
// it goes on, gone when it closes) and what the sweeper relies on (ours only, only when old).
import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { isOurs, openingName, planSweep, SWEEP_AFTER_MINUTES } from "../../src/runner-access/openings";
import type { Firewall } from "../../src/runner-access/do-firewalls";
import { jobEnv, runCli } from "./cli-harness";
import { startAddressEcho, startFakeDo, type FakeDo } from "./fake-do";

const TAG = "docstown-production-server";
const RUNNER_IP = "198.51.100.23";

describe("runner-access against a fake DigitalOcean API", () => {
  let fake: FakeDo;
  let echo: { url: string; close(): Promise<void> };
  before(async () => {
    echo = await startAddressEcho(RUNNER_IP);
  });
  after(async () => echo.close());
  beforeEach(async () => {
    fake = await startFakeDo();
  });
  afterEach(async () => fake.close());

  const ours = () => [...fake.firewalls.values()];

  test("open: one firewall for this run, tcp/22 from the runner's address only (/32), on the droplet's tag, applied before it returns", async () => {
    const run = await runCli(["open", "--job", "deploy", "--tag", TAG], jobEnv(fake, { runId: "4242" }, echo.url));
    assert.equal(run.code, 0, run.stderr);
    const [firewall, ...more] = ours();
    assert.equal(more.length, 0);
    assert.equal(firewall!.name, "docstown-runner-4242-1-deploy");
    assert.deepEqual(firewall!.inbound_rules, [{ protocol: "tcp", ports: "22", sources: { addresses: [`${RUNNER_IP}/32`] } }]);
    assert.deepEqual(firewall!.tags, [TAG]);
    assert.equal(firewall!.status, "succeeded", "open returned before DigitalOcean applied the rules");
    assert.ok(fake.requests.some((r) => r.startsWith("GET /v2/firewalls/")), "open did not wait for the rules to apply");
  });

  test("open on the two tags of a stack with web hosts: one firewall on both, a bad tag among them refused", async () => {
    const run = await runCli(["open", "--job", "deploy", "--tag", `${TAG},docstown-production-web`, "--address", RUNNER_IP], jobEnv(fake, { runId: "77" }));
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(ours()[0]!.tags, [TAG, "docstown-production-web"]);
    assert.ok(isOurs(ours()[0]!), "the sweeper knows a two-tag opening as ours");
    const bad = await runCli(["open", "--job", "deploy", "--tag", `${TAG},no spaces`, "--address", RUNNER_IP], jobEnv(fake, { runId: "78" }));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /"no spaces" is not a DigitalOcean tag name/);
    assert.equal(ours().length, 1);
  });

  test("open: an IPv6 runner gets a /128", async () => {
    const run = await runCli(["open", "--job", "drift", "--tag", TAG, "--address", "2001:DB8::7"], jobEnv(fake, { runId: "7" }));
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(ours()[0]!.inbound_rules![0]!.sources.addresses, ["2001:db8::7/128"]);
  });

  test("open fails (API refuses): exit 1, nothing left open", async () => {
    fake.failCreate = 403;
    const run = await runCli(["open", "--job", "deploy", "--tag", TAG, "--address", RUNNER_IP], jobEnv(fake, { runId: "1" }));
    assert.equal(run.code, 1);
    assert.match(run.stderr, /403/);
    assert.equal(ours().length, 0);
  });

  test("open fails (DigitalOcean reports the firewall failed): exit 1, and the half-made opening is deleted", async () => {
    fake.applyFails = true;
    const run = await runCli(["open", "--job", "deploy", "--tag", TAG, "--address", RUNNER_IP], jobEnv(fake, { runId: "2" }));
    assert.equal(run.code, 1);
    assert.match(run.stderr, /failed/);
    assert.equal(ours().length, 0);
  });

  test("open refuses when the address services disagree, and opens nothing", async () => {
    const other = await startAddressEcho("203.0.113.99");
    try {
      const env = { ...jobEnv(fake, { runId: "3" }), RUNNER_ACCESS_ADDRESS_URLS: `${echo.url},${other.url}` };
      const run = await runCli(["open", "--job", "deploy", "--tag", TAG], env);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /disagree/);
      assert.equal(ours().length, 0);
    } finally {
      await other.close();
    }
  });

  test("two runs get two separate openings, and closing one leaves the other", async () => {
    assert.equal((await runCli(["open", "--job", "deploy", "--tag", TAG, "--address", RUNNER_IP], jobEnv(fake, { runId: "100" }))).code, 0);
    assert.equal((await runCli(["open", "--job", "drift", "--tag", TAG, "--address", "198.51.100.24"], jobEnv(fake, { runId: "101" }))).code, 0);
    assert.deepEqual(ours().map((f) => f.name).sort(), ["docstown-runner-100-1-deploy", "docstown-runner-101-1-drift"]);
    assert.equal((await runCli(["close", "--job", "deploy"], jobEnv(fake, { runId: "100" }))).code, 0);
    assert.deepEqual(ours().map((f) => f.name), ["docstown-runner-101-1-drift"]);
  });

  test("close after a failed open (nothing was made) succeeds and deletes nothing", async () => {
    const stranger = fake.seed({ name: "docstown-production-firewall", tags: [TAG] });
    const run = await runCli(["close", "--job", "deploy"], jobEnv(fake, { runId: "5" }));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /nothing to close/);
    assert.deepEqual(ours(), [stranger]);
  });

  test("close fails: exit 1 with an error annotation naming the runbook, and the sweeper removes the leftover once old", async () => {
    assert.equal((await runCli(["open", "--job", "deploy", "--tag", TAG, "--address", RUNNER_IP], jobEnv(fake, { runId: "9" }))).code, 0);
    const [left] = ours();
    fake.failDelete.add(left!.id);
    const run = await runCli(["close", "--job", "deploy"], { ...jobEnv(fake, { runId: "9" }), GITHUB_ACTIONS: "true" });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^::error::runner-access: could not close 1 opening/m);
    assert.match(run.stderr, /stuck runner opening/);
    assert.equal(ours().length, 1);

    fake.failDelete.clear();
    const soon = new Date(Date.parse(left!.created_at) + 30 * 60_000);
    const early = await runCli(["sweep"], jobEnv(fake, { runId: "10" }), () => soon);
    assert.equal(early.code, 0, early.stderr);
    assert.equal(ours().length, 1, "the sweeper removed an opening a running job may still use");
    const later = new Date(Date.parse(left!.created_at) + (SWEEP_AFTER_MINUTES + 1) * 60_000);
    const sweep = await runCli(["sweep"], jobEnv(fake, { runId: "10" }), () => later);
    assert.equal(sweep.code, 0, sweep.stderr);
    assert.equal(ours().length, 0);
  });

  test("the sweeper never touches what it did not make, however old", async () => {
    const old = "2020-01-01T00:00:00Z";
    const strangers = [
      fake.seed({ name: "docstown-production-firewall", created_at: old, tags: [TAG], inbound_rules: [{ protocol: "tcp", ports: "22", sources: { addresses: ["203.0.113.10/32"] } }] }),
      fake.seed({ name: "someone-elses-firewall", created_at: old, tags: ["web"], inbound_rules: [{ protocol: "tcp", ports: "22", sources: { addresses: ["0.0.0.0/0"] } }] }),
      // Our name, another shape: a wider source, a second port, a droplet id, an outbound rule.
      fake.seed({ name: "docstown-runner-1-1-deploy", created_at: old, tags: [TAG], inbound_rules: [{ protocol: "tcp", ports: "22", sources: { addresses: ["198.51.100.0/24"] } }] }),
      fake.seed({ name: "docstown-runner-2-1-deploy", created_at: old, tags: [TAG], inbound_rules: [{ protocol: "tcp", ports: "22", sources: { addresses: [`${RUNNER_IP}/32`] } }, { protocol: "tcp", ports: "443", sources: { addresses: [`${RUNNER_IP}/32`] } }] }),
      fake.seed({ name: "docstown-runner-3-1-deploy", created_at: old, tags: [], droplet_ids: [1], inbound_rules: [{ protocol: "tcp", ports: "22", sources: { addresses: [`${RUNNER_IP}/32`] } }] }),
      fake.seed({ name: "docstown-runner-4-1-deploy", created_at: old, tags: [TAG], outbound_rules: [{ protocol: "tcp" }], inbound_rules: [{ protocol: "tcp", ports: "22", sources: { addresses: [`${RUNNER_IP}/32`] } }] }),
      fake.seed({ name: "docstown-runner-5-1-deploy", created_at: "not a time", tags: [TAG], inbound_rules: [{ protocol: "tcp", ports: "22", sources: { addresses: [`${RUNNER_IP}/32`] } }] }),
    ];
    const stale = fake.seed({ name: "docstown-runner-6-1-deploy", created_at: old, tags: [TAG], inbound_rules: [{ protocol: "tcp", ports: "22", sources: { addresses: [`${RUNNER_IP}/32`] } }] });
    const run = await runCli(["sweep"], jobEnv(fake, { runId: "11" }));
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(ours().map((f) => f.id).sort(), strangers.map((f) => f.id).sort());
    assert.ok(!fake.firewalls.has(stale.id));
    assert.match(run.stdout, /left alone: docstown-runner-1-1-deploy/);
  });

  test("the sweeper reads every page of the list", async () => {
    for (let i = 0; i < 205; i++) fake.seed({ name: `unrelated-${i}` });
    const stale = fake.seed({ name: "docstown-runner-77-1-drift", created_at: "2020-01-01T00:00:00Z", tags: [TAG], inbound_rules: [{ protocol: "tcp", ports: "22", sources: { addresses: [`${RUNNER_IP}/32`] } }] });
    assert.equal((await runCli(["sweep"], jobEnv(fake, { runId: "12" }))).code, 0);
    assert.ok(!fake.firewalls.has(stale.id));
    assert.ok(fake.requests.includes("GET /v2/firewalls?per_page=200&page=2"));
  });

  test("usage errors exit 2 and touch nothing: no token, no run id, a sweep bound too small", async () => {
    const env = jobEnv(fake, { runId: "13" });
    const noToken = await runCli(["open", "--job", "deploy", "--tag", TAG, "--address", RUNNER_IP], { ...env, DIGITALOCEAN_FIREWALL_TOKEN: "" });
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /DIGITALOCEAN_FIREWALL_TOKEN/);
    const noRun = await runCli(["close", "--job", "deploy"], { ...env, GITHUB_RUN_ID: "" });
    assert.equal(noRun.code, 2);
    assert.equal((await runCli(["sweep", "--older-than-minutes", "1"], env)).code, 2);
    assert.equal(fake.requests.length, 0);
  });

  test("a wrong token is an API error (exit 1) that does not print the token", async () => {
    const run = await runCli(["sweep"], { ...jobEnv(fake, { runId: "14" }), DIGITALOCEAN_FIREWALL_TOKEN: "dop_v1_wrongwrongwrong" });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /401/);
    assert.doesNotMatch(run.stderr + run.stdout, /wrongwrongwrong/);
  });
});

describe("opening names and shapes", () => {
  const shaped = (over: Partial<Firewall>): Firewall => ({
    id: "x", name: "docstown-runner-1-1-deploy", status: "succeeded", created_at: "2026-01-01T00:00:00Z",
    inbound_rules: [{ protocol: "tcp", ports: "22", sources: { addresses: ["198.51.100.1/32"] } }],
    outbound_rules: [], droplet_ids: [], tags: [TAG], pending_changes: [], ...over,
  });

  test("the name carries run id, attempt and job; anything that could leave the pattern is refused", () => {
    assert.equal(openingName({ runId: "123", attempt: "2", job: "drift" }), "docstown-runner-123-2-drift");
    assert.throws(() => openingName({ runId: "12a", attempt: "1", job: "deploy" }));
    assert.throws(() => openingName({ runId: "1", attempt: "1", job: "Deploy;rm" }));
  });

  test("isOurs needs our name and our shape", () => {
    assert.ok(isOurs(shaped({})));
    assert.ok(!isOurs(shaped({ name: "docstown-runner-x" })));
    assert.ok(!isOurs(shaped({ inbound_rules: [{ protocol: "tcp", ports: "22", sources: { addresses: ["0.0.0.0/0"] } }] })));
    assert.ok(!isOurs(shaped({ inbound_rules: [{ protocol: "tcp", ports: "22", sources: { addresses: ["198.51.100.1/32"], tags: ["x"] } }] })));
  });

  test("planSweep: strictly older than the bound is removed, younger kept", () => {
    const now = new Date("2026-01-01T01:30:00Z");
    const plan = planSweep([shaped({ id: "a", created_at: "2026-01-01T00:00:00Z" }), shaped({ id: "b", created_at: "2026-01-01T00:01:00Z" })], now, 89);
    assert.deepEqual(plan.remove.map((f) => f.id), ["a"]);
    assert.deepEqual(plan.keep.map((f) => f.id), ["b"]);
  });
});
