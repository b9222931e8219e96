// The role split of docstown:web.count 2 through the real engine and the Docker plugin, on one
// daemon: the volume host's engine (migrate, worker, the repos volume) and two web hosts, each
// its own docker.Provider with its own proxy and web. Two `up`s: the split comes up and serves on
// both web hosts; a release then reaches both with no failed request on either, after one
// migration on the volume host.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { LOCAL_CA_ROOT_PATH } from "../../src/app/containers";
import { freePort } from "../demo/support";
import { docker, get, idsByUrn, LocalRun, nameOf, requestLoop, waitFor200, type StateExport } from "./support/local-run";
import { binDir, expectOk, localStackMissing } from "./support/preconditions";

const reason = localStackMissing();
const inCI = process.env.CI === "true";
const STEP = { timeout: 1_500_000 };
const CONTAINER = "docker:index/container:Container";


/** Three ports in a row, free now: web host n publishes base+n. */
async function freeRun(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const base = await freePort();
    const next = await Promise.all([1, 2].map(() => freePort()));
    if (base < 65000 && !next.includes(base + 1) && !next.includes(base + 2)) return base;
  }
  throw new Error("no run of free ports");
}

/** Containers in the state, by resource name, with the provider each was created through. */
function containers(state: StateExport): Map<string, { id: string; provider: string; volumes: unknown }> {
  const found = new Map<string, { id: string; provider: string; volumes: unknown }>();
  for (const r of state.deployment.resources ?? []) {
    if (r.type !== CONTAINER) continue;
    const provider = String((r as { provider?: string }).provider ?? "");
    found.set(nameOf(r.urn), { id: String(r.id), provider: provider.slice(0, provider.lastIndexOf("::")), volumes: r.inputs?.["volumes"] });
  }
  return found;
}

describe("web.count 2 on the real engine: a worker host and two web hosts", { skip: !inCI && reason !== undefined ? reason : false }, () => {
  let run: LocalRun;
  const hosts: { url: string; ca: Buffer }[] = [];

  before(async () => {
    assert.equal(reason, undefined, `CI=true and ${reason}`);
    run = new LocalRun(binDir, {
      "local.httpPort": await freeRun(),
      "local.httpsPort": await freeRun(),
      "web.count": 2,
      "web.readsClone": false,
    });
  });

  after(() => {
    if (run === undefined) return;
    run.local("down");
    for (const v of [run.reposVolume, run.proxyDataVolume, `${run.proxyDataVolume}-web-1`, `${run.proxyDataVolume}-web-2`]) docker(["volume", "rm", "-f", v]);
    run.remove();
  });

  test("up: migrate and worker on the volume host's provider, proxy and web on each web host's; both serve /up over HTTPS", STEP, async () => {
    expectOk("local:up with web.count 2", run.local("up"));
    const state = run.exportState();
    const byName = containers(state);
    const roles = [...byName.keys()].sort();
    for (const name of ["docstown-migrate", "docstown-worker", "docstown-web-1-web", "docstown-web-1-proxy", "docstown-web-2-web", "docstown-web-2-proxy"]) {
      assert.ok(byName.has(name), `${name} in the state (have ${roles.join(", ")})`);
    }
    assert.ok(!byName.has("docstown-web") && !byName.has("docstown-proxy"), "the volume host runs no web and no proxy");
    assert.match(byName.get("docstown-worker")?.provider ?? "", /::docstown-docker$/);
    for (const n of [1, 2]) {
      assert.match(byName.get(`docstown-web-${n}-web`)?.provider ?? "", new RegExp(`::docstown-web-${n}-docker$`), `web-${n} through its own provider`);
      assert.equal(byName.get(`docstown-web-${n}-web`)?.volumes, undefined, `web-${n} mounts nothing`);
    }
    const webHosts = (run.outputs() as unknown as { webHosts: { url: string; proxyContainer: string }[] }).webHosts;
    assert.equal(webHosts.length, 2);
    for (const h of webHosts) {
      // Each web host's proxy has its own local CA (its own data volume); the image has no shell tools.
      const file = path.join(run.stateDir, `${h.proxyContainer}.crt`);
      expectOk(`docker cp of ${h.proxyContainer}'s CA`, docker(["cp", `${h.proxyContainer}:${LOCAL_CA_ROOT_PATH}`, file]));
      const ca = fs.readFileSync(file);
      assert.match(ca.toString(), /BEGIN CERTIFICATE/);
      assert.equal((await waitFor200(`${h.url}/up`, ca, 90)).status, 200, h.url);
      assert.match((await get(`${h.url}/version`, ca)).body, /\b1\b/);
      hosts.push({ url: h.url, ca });
    }
  });

  test("a release under a request loop on both web hosts: 0 failed requests; one migration; both serve it", STEP, async (t) => {
    assert.equal(hosts.length, 2, "the first step served both hosts");
    const before = idsByUrn(run.exportState());
    run.set({ "app.tag": "2" });
    const deploy = run.localUpAsync();
    const loops = await Promise.all(hosts.map((h) => requestLoop(`${h.url}/up`, h.ca, deploy.done)));
    expectOk("local:up of release 2", await deploy.done);
    loops.forEach((loop, i) => {
      t.diagnostic(`web-${i + 1}: ${loop.ok} requests answered 200, ${loop.failed.length} failed during the release`);
      assert.deepEqual(loop.failed, [], `web-${i + 1}: ${loop.failed.length} of ${loop.ok + loop.failed.length} requests failed during the deploy`);
      assert.ok(loop.ok >= 20, `web-${i + 1}: the loop ran through the deploy (${loop.ok} requests)`);
    });
    const afterIds = idsByUrn(run.exportState());
    const changed = [...afterIds].filter(([urn, id]) => before.get(urn) !== id).map(([urn]) => nameOf(urn)).sort();
    assert.deepEqual(changed, [
      "docstown-image", "docstown-migrate", "docstown-web-1-image", "docstown-web-1-web", "docstown-web-2-image", "docstown-web-2-web", "docstown-worker",
    ]);
    assert.equal([...containers(run.exportState()).keys()].filter((n) => n.includes("migrate")).length, 1, "one migration for the release");
    for (const h of hosts) assert.match((await get(`${h.url}/version`, h.ca)).body, /\b2\b/, h.url);
  });
});
