import assert from "node:assert/strict";
import { test } from "node:test";
import { compareGraphs, formatChanges } from "../../src/synth/compare";

const r = (urn: string, inputs: Record<string, unknown>, options: Record<string, unknown> = { dependsOn: [] }) => ({ urn, inputs, options });

test("added, removed and changed resources, with the keys that changed", () => {
  const before = { resources: [r("urn:pulumi:p::docstown::a:b:C::one", { size: 50, name: "x" }), r("urn:pulumi:p::docstown::a:b:C::gone", {})] };
  const after = { resources: [
    r("urn:pulumi:p::docstown::a:b:C::one", { size: 100, name: "x" }, { dependsOn: [], protect: true }),
    r("urn:pulumi:p::docstown::a:b:C::new", {}),
  ] };
  const changes = compareGraphs(before, after);
  assert.deepEqual(changes, [
    { urn: "urn:pulumi:p::docstown::a:b:C::gone", kind: "removed", keys: [] },
    { urn: "urn:pulumi:p::docstown::a:b:C::new", kind: "added", keys: [] },
    { urn: "urn:pulumi:p::docstown::a:b:C::one", kind: "changed", keys: ["size", "options.protect"] },
  ]);
  assert.equal(formatChanges(changes), "- a:b:C::gone\n+ a:b:C::new\n~ a:b:C::one  (size, options.protect)");
});

test("identical renders have no declared change", () => {
  const doc = { resources: [r("urn:x::y::t::n", { a: [1, { b: 2 }] })] };
  assert.deepEqual(compareGraphs(doc, structuredClone(doc)), []);
  assert.equal(formatChanges([]), "no declared change");
});

test("a change of an input that forces a replacement shows the order, and whether the unique name stays", () => {
  const POOL = "digitalocean:index/databaseConnectionPool:DatabaseConnectionPool";
  const pool = `urn:pulumi:p::docstown::docstown:database:ManagedDatabase$${POOL}::pool`;
  const web = "urn:pulumi:p::docstown::docker:index/container:Container::web";
  const doc = (name: string, size: number, options: Record<string, unknown> = { dependsOn: [] }) => ({
    resources: [
      { urn: pool, type: POOL, inputs: { name, size }, options },
      { urn: web, type: "docker:index/container:Container", inputs: { envs: "[secret]" }, options: { dependsOn: [] }, propertyDependencies: { envs: [pool] } },
    ],
  });
  const renamed = compareGraphs(doc("db-pool-aaaa", 3), doc("db-pool-bbbb", 7));
  assert.deepEqual(renamed, [
    { urn: web, kind: "changed", keys: [], from: { envs: [pool] } },
    { urn: pool, kind: "changed", keys: ["name", "size"], replace: { order: "create-first", forcedBy: ["name", "size"] } },
  ]);
  assert.equal(formatChanges(renamed), [
    "~ docker:index/container:Container::web  envs from replaced pool",
    `~ docstown:database:ManagedDatabase$${POOL}::pool  (name, size)  replaced: create first, new name`,
  ].join("\n"));

  const fixed = compareGraphs(doc("db-pool", 3), doc("db-pool", 7));
  assert.deepEqual(fixed.find((c) => c.urn === pool)?.replace, { order: "create-first", forcedBy: ["size"], sameName: "db-pool" });
  assert.match(formatChanges(fixed), /replaced: create first under the same name "db-pool", which the provider refuses/);

  const deleteFirst = compareGraphs(doc("db-pool", 3), doc("db-pool", 7, { dependsOn: [], deleteBeforeReplace: true }));
  assert.equal(deleteFirst.find((c) => c.urn === pool)?.replace?.order, "delete-first");
  assert.match(formatChanges(deleteFirst), /replaced: delete first/);

  // A change no provider replaces for (a cluster's size) carries no order, and feeds nothing.
  const CLUSTER = "digitalocean:index/databaseCluster:DatabaseCluster";
  const cluster = (size: string) => ({ resources: [{ urn: `urn:pulumi:p::docstown::${CLUSTER}::db`, inputs: { name: "db", size }, options: {} }] });
  assert.deepEqual(compareGraphs(cluster("db-s-1vcpu-1gb"), cluster("db-s-1vcpu-2gb")), [
    { urn: `urn:pulumi:p::docstown::${CLUSTER}::db`, kind: "changed", keys: ["size"] },
  ]);
});
