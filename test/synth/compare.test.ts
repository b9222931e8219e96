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
