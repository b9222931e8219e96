import assert from "node:assert/strict";
import { resolve } from "node:path";
import { before, describe, test } from "node:test";
import { KNOWN_CONNECTION_LIMITS, poolSwitch, type BudgetInput } from "../../src/database/connection-budget";
import { compareGraphs, formatChanges, type GraphChange } from "../../src/synth/compare";
import { checkPolicies } from "../../src/synth/policies";
import type { SynthResult } from "../../src/synth/recorder";
import { toJson } from "../../src/synth/render";
import { readStackFile } from "../../src/synth/stack-file";
import { PROJECT_DIR, byType, synthStack } from "../harness";

/**
 * A change of database.size, app.railsMaxThreads or app.jobConcurrency changes pool sizes, which
 * DigitalOcean's pools cannot take in place: each changed pool is replaced. Rendered twice under
 * the mocks and compared as `npm run synth -- --compare` compares: the pools keep their URNs, get
 * new names, are replaced create-first; web and worker take the new pools' URLs (and are replaced
 * like a release); nothing is replaced create-first under its old name; and the old and new pools
 * fit the node together.
 */

const POOL = "digitalocean:index/databaseConnectionPool:DatabaseConnectionPool";
const committed = readStackFile(resolve(PROJECT_DIR, "Pulumi.production.yaml"), true).config;
const committedKey = (key: string) => JSON.parse(committed[`docstown:${key}`] ?? "{}") as Record<string, unknown>;
const database = (over: Record<string, unknown>) => ({ "docstown:database": JSON.stringify({ ...committedKey("database"), ...over }) });
const app = (over: Record<string, unknown>) => ({ "docstown:app": JSON.stringify({ ...committedKey("app"), ...over }) });

const render = async (overrides: Record<string, string>) => toJson(await synthStack("production", overrides), []);
type Doc = Awaited<ReturnType<typeof render>>;

const shortName = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
const poolsOf = (doc: Doc) => new Map(doc.resources.filter((r) => r.type === POOL).map((r) => [r.urn, r]));

function envOf(doc: Doc, container: string): Map<string, string> {
  const c = doc.resources.find((r) => r.type === "docker:index/container:Container" && shortName(r.urn) === container);
  return new Map(((c?.inputs["envs"] ?? []) as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

/** The budget's inputs as the render deployed them: the limit from the stack output, the rest from the containers. */
function budgetInput(doc: Doc): BudgetInput {
  const { limit } = (doc.outputs["database"] as { connections: { limit: number } }).connections;
  const railsMaxThreads = Number(envOf(doc, "docstown-web").get("RAILS_MAX_THREADS"));
  const jobConcurrency = Number(envOf(doc, "docstown-worker").get("JOB_CONCURRENCY"));
  assert.ok(railsMaxThreads > 0 && jobConcurrency > 0);
  return { railsMaxThreads, jobConcurrency, pooling: "pgbouncer", limit };
}

/** What every pool-changing config change must show. */
function assertPoolReplacement(earlier: Doc, later: Doc, changes: readonly GraphChange[], expectReplaced: number): void {
  const old = poolsOf(earlier);
  const now = poolsOf(later);
  assert.deepEqual([...now.keys()].sort(), [...old.keys()].sort(), "the same four pools (URNs): replaced, not added and removed");
  const replaced = changes.filter((c) => c.replace !== undefined && now.has(c.urn));
  assert.equal(replaced.length, expectReplaced, formatChanges(changes));
  for (const c of replaced) {
    assert.deepEqual(c.replace, { order: "create-first", forcedBy: ["name", "size"] }, `${shortName(c.urn)}: a new name, created first`);
    assert.notEqual(now.get(c.urn)?.inputs["name"], old.get(c.urn)?.inputs["name"]);
  }
  for (const c of changes) {
    assert.equal(c.replace?.sameName, undefined, `${shortName(c.urn)} would be created first under its old name`);
  }
  // Web and worker take the new pools' URLs; migrate keeps its direct ones.
  const fed = changes.filter((c) => c.from !== undefined).map((c) => [shortName(c.urn), Object.keys(c.from ?? {})]);
  assert.deepEqual(fed.sort(), [["docstown-web", ["envs"]], ["docstown-worker", ["envs"]]]);
  for (const c of changes.filter((x) => x.from !== undefined)) {
    assert.deepEqual(c.from?.["envs"], replaced.map((r) => r.urn).sort());
  }
  const s = poolSwitch(budgetInput(earlier), budgetInput(later));
  assert.equal(s.replaced.length, expectReplaced);
  assert.ok(s.fits, `old and new pools: ${s.serverConnections} of ${s.limit}`);
}

describe("database.size db-s-1vcpu-1gb -> db-s-1vcpu-2gb", () => {
  let committedDoc: Doc;
  let resized: Doc;
  let changes: GraphChange[];
  before(async () => {
    committedDoc = await render({});
    resized = await render(database({ size: "db-s-1vcpu-2gb" }));
    changes = compareGraphs(committedDoc, resized);
  });

  test("the cluster is resized in place; all four pools replaced create-first under new names; web and worker follow", () => {
    const cluster = changes.find((c) => c.urn.endsWith("DatabaseCluster::docstown-docstown-db"));
    assert.deepEqual(cluster?.keys, ["size"]);
    assert.equal(cluster?.replace, undefined, "size is no ForceNew field of a cluster");
    assertPoolReplacement(committedDoc, resized, changes, 4);
    assert.equal(KNOWN_CONNECTION_LIMITS["db-s-1vcpu-2gb"], 47);
  });

  test("the compare prints the order", () => {
    const text = formatChanges(changes);
    assert.match(text, /DatabaseConnectionPool::docstown-docstown-db-pool-docstown_production {2}\(name, size\) {2}replaced: create first, new name/);
    assert.match(text, /Container::docstown-web {2}envs from replaced docstown-docstown-db-pool-docstown_production, /);
    assert.doesNotMatch(text, /same name/);
  });

  test("the policy pack accepts both renders", async () => {
    for (const overrides of [{}, database({ size: "db-s-1vcpu-2gb" })]) {
      const result: SynthResult = await synthStack("production", overrides);
      const found = (await checkPolicies(result)).filter((v) => v.policy === "replacement-name-reuse");
      assert.deepEqual(found, []);
      assert.equal(byType(result, POOL).length, 4);
    }
  });
});

describe("app.railsMaxThreads and app.jobConcurrency, where they change pool sizes (db-s-2vcpu-4gb)", () => {
  let base: Doc;
  before(async () => {
    base = await render(database({ size: "db-s-2vcpu-4gb" }));
  });

  test("railsMaxThreads 3 -> 1: every pool capped lower, replaced create-first", async () => {
    const after = await render({ ...database({ size: "db-s-2vcpu-4gb" }), ...app({ railsMaxThreads: 1 }) });
    const changes = compareGraphs(base, after);
    assertPoolReplacement(base, after, changes, 4);
  });

  test("jobConcurrency 2 -> 1: only the primary's cap binds (12), only that pool is replaced", async () => {
    const after = await render({ ...database({ size: "db-s-2vcpu-4gb" }), ...app({ jobConcurrency: 1 }) });
    const changes = compareGraphs(base, after);
    assertPoolReplacement(base, after, changes, 1);
    const primary = changes.find((c) => c.replace !== undefined);
    assert.ok(primary?.urn.endsWith("pool-docstown_production"));
  });

  test("on the 1 GB node the caps do not bind: a thread change leaves the pools (and their names) alone", async () => {
    const changes = compareGraphs(await render({}), await render(app({ railsMaxThreads: 5 })));
    assert.deepEqual(changes.filter((c) => c.urn.includes("ConnectionPool")), []);
  });
});
