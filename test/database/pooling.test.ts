import assert from "node:assert/strict";
import { resolve } from "node:path";
import { before, describe, test } from "node:test";
import { APP_USER, DATABASE_URL_NAMES, RAILS_DATABASES } from "../../src/database/rails";
import type { RecordedResource, SynthResult } from "../../src/synth/recorder";
import { readStackFile } from "../../src/synth/stack-file";
import { replacementKey } from "../../policies/replacement";
import { poolName } from "../../src/database/pools";
import { PROJECT_DIR, byType, containerEnv, one, synthStack } from "../harness";

/**
 * Which URLs each container gets, from the synthesized graph: with the default
 * (`database.pooling` pgbouncer) web and worker go through the pools and migrate connects
 * directly; with `direct` on a size that fits, everyone connects directly and no pool exists.
 */

const POOL = "digitalocean:index/databaseConnectionPool:DatabaseConnectionPool";
const committed = readStackFile(resolve(PROJECT_DIR, "Pulumi.production.yaml"), true).config;
const committedDatabase = JSON.parse(committed["docstown:database"] ?? "{}") as Record<string, unknown>;

/** The app role of a container; a one-shot step (docstown.step, e.g. the operators' keys) is none. */
const roleOf = (c: RecordedResource) => {
  const labels = (c.inputs["labels"] ?? []) as { label: string; value: string }[];
  return labels.some((l) => l.label === "docstown.step") ? undefined : labels.find((l) => l.label === "docstown.role")?.value;
};
function urlsByRole(result: SynthResult): Record<string, Record<string, URL>> {
  const out: Record<string, Record<string, URL>> = {};
  for (const c of byType(result, "docker:index/container:Container")) {
    const role = roleOf(c);
    if (role === undefined || !["web", "worker", "migrate"].includes(role)) continue;
    const { env } = containerEnv(c);
    out[role] = Object.fromEntries(DATABASE_URL_NAMES.map((n) => [n, new URL(env[n] ?? "")]));
  }
  return out;
}

describe("connection pooling in the production stack (committed config: db-s-1vcpu-1gb, pgbouncer)", () => {
  let result: SynthResult;
  before(async () => {
    result = await synthStack("production");
  });

  test("one transaction-mode pool per Rails database, as the app user, sized 3/1/2/1: twice that (a pool change) with migrate's 4 and operators' 3 is 21 of 22", () => {
    const pools = byType(result, POOL);
    const shape = pools.map((p) => [p.inputs["dbName"], p.inputs["mode"], p.inputs["user"], p.inputs["size"]]);
    assert.deepEqual(shape.sort(), [
      ["docstown_production", "transaction", APP_USER, 3],
      ["docstown_production_cable", "transaction", APP_USER, 1],
      ["docstown_production_cache", "transaction", APP_USER, 1],
      ["docstown_production_queue", "transaction", APP_USER, 2],
    ]);
    assert.equal(2 * pools.reduce((n, p) => n + Number(p.inputs["size"]), 0) + 4 + 3, 21);
    const connections = (result.outputs["database"] as { connections: Record<string, unknown> }).connections;
    assert.deepEqual({ ...connections, poolSizes: undefined }, { limit: 22, pooling: "pgbouncer", peakClients: 86, serverConnections: 21, poolSizes: undefined });
  });

  test("each pool is named after its database and the replacement key of what would replace it", () => {
    for (const p of byType(result, POOL)) {
      const spec = { dbName: String(p.inputs["dbName"]), mode: String(p.inputs["mode"]), size: Number(p.inputs["size"]), user: String(p.inputs["user"]) };
      assert.equal(p.inputs["name"], `${spec.dbName}-pool-${replacementKey(spec)}`);
      assert.equal(p.inputs["name"], poolName(spec));
      assert.match(String(p.inputs["name"]), /^[a-z0-9_]+-pool-[0-9a-f]{8}$/);
      assert.ok(String(p.inputs["name"]).length <= 60, "the API takes 3 to 60 characters");
    }
  });

  test("create first, deleted when replaced, left with the cluster when the cluster leaves the program", () => {
    const cluster = one(result, "digitalocean:index/databaseCluster:DatabaseCluster");
    for (const p of byType(result, POOL)) {
      assert.equal(p.options.deleteBeforeReplace, false, `${p.name}: stated, so the bridge's delete-first for a set name does not apply`);
      assert.equal(p.options.retainOnDelete, undefined, `${p.name}: a retained old pool would keep its connections allocated`);
      assert.equal(p.options.deletedWith, cluster.urn, `${p.name}: forgetting an old cluster never needs its API`);
    }
  });

  test("web and worker reach each database through its pool, without prepared statements or advisory locks", () => {
    const byRole = urlsByRole(result);
    for (const role of ["web", "worker"]) {
      for (const name of DATABASE_URL_NAMES) {
        const url = byRole[role]?.[name] as URL;
        assert.equal(url.port, "25061", `${role} ${name} goes to PgBouncer`);
        const pool = byType(result, POOL).find((p) => p.inputs["dbName"] === RAILS_DATABASES[name]);
        assert.equal(url.pathname, `/${String(pool?.inputs["name"])}`, `${role} ${name}: the pool is the database it names`);
        assert.match(url.hostname, /^private-/);
        assert.equal(url.searchParams.get("prepared_statements"), "false");
        assert.equal(url.searchParams.get("advisory_locks"), "false");
        assert.equal(url.searchParams.get("sslmode"), "verify-full");
      }
    }
  });

  test("migrate connects to the server itself: the real databases, its advisory lock, prepared statements left to Rails", () => {
    const migrate = urlsByRole(result)["migrate"] ?? {};
    for (const name of DATABASE_URL_NAMES) {
      const url = migrate[name] as URL;
      assert.equal(url.port, "25060");
      assert.equal(url.pathname, `/${RAILS_DATABASES[name]}`);
      assert.deepEqual([...url.searchParams.keys()], ["sslmode", "sslrootcert"]);
    }
  });
});

describe("database.pooling direct on a size that fits", () => {
  test("no pool; web, worker and migrate all get the same direct URLs", async () => {
    const result = await synthStack("production", {
      "docstown:database": JSON.stringify({ ...committedDatabase, size: "db-s-2vcpu-4gb", pooling: "direct" }),
    });
    assert.deepEqual(byType(result, POOL), []);
    const byRole = urlsByRole(result);
    for (const name of DATABASE_URL_NAMES) {
      const hrefs = ["web", "worker", "migrate"].map((role) => byRole[role]?.[name]?.href);
      assert.equal(new Set(hrefs).size, 1, `${name}: ${hrefs.join(" | ")}`);
      assert.equal(byRole["web"]?.[name]?.port, "25060");
    }
  });
});
