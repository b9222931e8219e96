// docstown:app.maintenance on the real engine (our CLI, the Docker plugin, a real daemon, the demo
// images): `npm run local:up` with it on replaces the proxy alone, which then answers /up with the
// 503 page; with it off again, the proxy alone is replaced and /up answers 200 from the same web
// container, never restarted. The switch back is timed under a request loop.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { MAINTENANCE_RETRY_AFTER_SECONDS } from "../../src/app/maintenance";
import { freePort } from "../demo/support";
import { docker, get, idsByUrn, LocalRun, nameOf, requestLoop, waitFor200 } from "./support/local-run";
import { binDir, expectOk, localStackMissing } from "./support/preconditions";

const reason = localStackMissing();
const inCI = process.env.CI === "true";
const STEP = { timeout: 1_500_000 };


/** Names of the resources whose id differs between two states (a replacement). */
function replaced(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after].filter(([urn, id]) => before.has(urn) && before.get(urn) !== id).map(([urn]) => nameOf(urn)).sort();
}

/** Id and start time of each running web and worker container: a restart changes the start time. */
function appStarts(run: LocalRun): string[] {
  return [...run.appContainers("web"), ...run.appContainers("worker")]
    .map((id) => docker(["inspect", "--format", "{{.Id}} {{.State.StartedAt}} {{.State.Status}}", id]).stdout.trim())
    .sort();
}

describe("app.maintenance through the real engine", { skip: !inCI && reason !== undefined ? reason : false }, () => {
  let run: LocalRun;
  let url = "";
  let ca: Buffer = Buffer.alloc(0);
  let starts: string[] = [];

  before(async () => {
    assert.equal(reason, undefined, `CI=true and ${reason}`);
    run = new LocalRun(binDir, { "local.httpPort": await freePort(), "local.httpsPort": await freePort() });
    expectOk("local:up", run.local("up"));
    url = run.outputs()["url"] ?? "";
    ca = run.ca();
    await waitFor200(`${url}/up`, ca, 60);
    starts = appStarts(run);
    assert.ok(starts.length >= 2 && starts.every((s) => s.endsWith(" running")), starts.join("\n"));
  });

  after(() => {
    if (run === undefined) return;
    run.local("down");
    for (const v of [run.reposVolume, run.proxyDataVolume]) docker(["volume", "rm", "-f", v]);
    run.remove();
  });

  test("on: only the proxy is replaced, and it answers /up with the 503 page while web keeps running", STEP, async () => {
    const before = idsByUrn(run.exportState());
    run.set({ "app.maintenance": true });
    expectOk("local:up with app.maintenance true", run.local("up"));
    assert.deepEqual(replaced(before, idsByUrn(run.exportState())), ["docstown-proxy"]);
    const answer = await get(`${url}/up`, ca);
    assert.equal(answer.status, 503);
    assert.equal(answer.headers["retry-after"], String(MAINTENANCE_RETRY_AFTER_SECONDS));
    assert.equal(answer.headers["cache-control"], "no-store");
    assert.match(answer.body, /DocsTown is down for maintenance/);
    assert.deepEqual(appStarts(run), starts, "web and worker neither replaced nor restarted");
  });

  test("off: only the proxy is replaced again, /up answers 200 from the same web container; the gap is timed", STEP, async (t) => {
    const before = idsByUrn(run.exportState());
    run.set({ "app.maintenance": false });
    const started = Date.now();
    const up = run.localUpAsync();
    const loop = await requestLoop(`${url}/up`, ca, up.done, 100);
    const result = await up.done;
    expectOk("local:up with app.maintenance false", result);
    const answer = await waitFor200(`${url}/up`, ca, 30);
    assert.equal(answer.headers["retry-after"], undefined);
    assert.deepEqual(replaced(before, idsByUrn(run.exportState())), ["docstown-proxy"]);
    assert.deepEqual(appStarts(run), starts, "web and worker neither replaced nor restarted");
    const refused = loop.failed.filter((f) => !f.startsWith("503"));
    t.diagnostic(`local:up took ${Math.round((Date.now() - started) / 1000)} s; ${loop.failed.length - refused.length} answers were the 503 page, ${refused.length} requests (100 ms apart) failed while the proxy was replaced, ${loop.ok} got 200`);
    assert.ok(refused.length * 0.1 < 15, `the proxy was away for about ${refused.length / 10} s`);
  });
});
