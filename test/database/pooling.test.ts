import assert from "node:assert/strict";
import { resolve } from "node:path";
import { before, describe, test } from "node:test";
import { APP_USER, DATABASE_URL_NAMES, RAILS_DATABASES } from "../../src/database/rails";
import type { RecordedResource, SynthResult } from "../../src/synth/recorder";
import { readStackFile } from "../../src/synth/stack-file";
import { PROJECT_DIR, byType, containerEnv, synthStack } from "../harness";

/**
 * Which URLs each container gets, from the synthesized graph: with the default
 * (`database.pooling` pgbouncer) web and worker go through the pools and migrate connects
 * directly; with `direct` on a size that fits, everyone connects directly and no pool exists.
 */

const POOL = "digitalocean:index/databaseConnectionPool:DatabaseConnectionPool";
const committed = readStackFile(resolve(PROJECT_DIR, "Pulumi.production.yaml"), true).config;
const committedDatabase = JSON.parse(committed["docstown:database"] ?? "{}") as Record<string, unknown>;

const roleOf = (c: RecordedResource) =>
  ((c.inputs["labels"] ?? []) as { label: string; value: string }[]).find((l) => l.label === "docstown.role")?.value;
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

  test("one transaction-mode pool per Rails database, as the app user, sized 6/2/5/2: with migrate's 4 and operators' 3, exactly 22", () => {
    const pools = byType(result, POOL);
    const shape = pools.map((p) => [p.inputs["dbName"], p.inputs["name"], p.inputs["mode"], p.inputs["user"], p.inputs["size"]]);
    assert.deepEqual(shape.sort(), [
      ["docstown_production", "docstown_production-pool", "transaction", APP_USER, 6],
      ["docstown_production_cable", "docstown_production_cable-pool", "transaction", APP_USER, 2],
      ["docstown_production_cache", "docstown_production_cache-pool", "transaction", APP_USER, 2],
      ["docstown_production_queue", "docstown_production_queue-pool", "transaction", APP_USER, 5],
    ]);
    assert.equal(pools.reduce((n, p) => n + Number(p.inputs["size"]), 0) + 4 + 3, 22);
    for (const p of pools) assert.equal(p.options.retainOnDelete, true, `${p.name}: forgetting an old cluster never needs its API`);
    const connections = (result.outputs["database"] as { connections: Record<string, unknown> }).connections;
    assert.deepEqual({ ...connections, poolSizes: undefined }, { limit: 22, pooling: "pgbouncer", peakClients: 86, serverConnections: 22, poolSizes: undefined });
  });

  test("web and worker reach each database through its pool, without prepared statements or advisory locks", () => {
    const byRole = urlsByRole(result);
    for (const role of ["web", "worker"]) {
      for (const name of DATABASE_URL_NAMES) {
        const url = byRole[role]?.[name] as URL;
        assert.equal(url.port, "25061", `${role} ${name} goes to PgBouncer`);
        assert.equal(url.pathname, `/${RAILS_DATABASES[name]}-pool`, `${role} ${name}: the pool is the database it names`);
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
