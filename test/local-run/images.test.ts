import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { buildPlan, caddyVersion, demoSettings, postgresMajor } from "../../engine/local/images";

const REFS = { app: "docstown-demo:1", postgres: "docstown-postgres:15", proxy: "docstown-caddy:2.11.2" };

describe("local:up demo images", () => {
  it("tags Caddy with the version demo/caddy/go.mod pins, as demo/build.sh does", () => {
    const version = caddyVersion(readFileSync(join(__dirname, "..", "..", "demo", "caddy", "go.mod"), "utf8"));
    assert.match(version, /^\d+\.\d+\.\d+$/);
    assert.equal(demoSettings(version, "15")["app.proxyImage"], `docstown-caddy:${version}`);
  });

  it("packages the newest installed PostgreSQL, else the newest built image, else 15", () => {
    assert.equal(postgresMajor(["15", "17", "9"], ["16"]), "17");
    assert.equal(postgresMajor([], ["15", "16", "latest"]), "16");
    assert.equal(postgresMajor([], []), "15");
  });

  it("builds nothing when every image is there", () => {
    assert.deepEqual(buildPlan(REFS, new Set(), "2.11.2", "15"), { foreign: [] });
  });

  it("builds only the missing demo images, with the app tag as the demo version", () => {
    const plan = buildPlan({ ...REFS, app: "docstown-demo:2" }, new Set(["docstown-demo:2", "docstown-caddy:2.11.2"]), "2.11.2", "15");
    assert.deepEqual(plan, { args: ["--only", "app,proxy", "--version", "2"], foreign: [] });
  });

  it("reports a missing image no demo build makes instead of building it", () => {
    const plan = buildPlan({ ...REFS, app: "docstown:dev", postgres: "docstown-postgres:16" }, new Set(["docstown:dev", "docstown-postgres:16"]), "2.11.2", "15");
    assert.deepEqual(plan, { foreign: ["docstown:dev", "docstown-postgres:16"] });
  });
});
