import assert from "node:assert/strict";
import { test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { record } from "../../src/synth/recorder";

class Thing extends pulumi.CustomResource {
  constructor(name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super("test:index:Thing", name, props, opts);
  }
}

class Pair extends pulumi.ComponentResource {
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("docstown:test:Pair", name, {}, opts);
    const key = new Thing(`${name}-a`, { secret: pulumi.secret("s3cret"), plain: "p" }, { parent: this, protect: true });
    new Thing(`${name}-b`, { list: ["x", pulumi.secret("y")], ref: key.id }, { parent: this, dependsOn: [key], deleteBeforeReplace: true });
    this.registerOutputs({});
  }
}

test("records inputs, options, parents, secrets and dependencies", async () => {
  const result = await record(() => {
    new Pair("p");
    return { out: pulumi.secret("hidden"), visible: "yes" };
  }, { project: "docstown", stack: "test", config: {}, secretKeys: [] });
  const a = result.resources.find((r) => r.name === "p-a");
  const b = result.resources.find((r) => r.name === "p-b");
  const pair = result.resources.find((r) => r.name === "p");
  assert.ok(a && b && pair);
  assert.equal(pair.custom, false);
  assert.equal(a.parent, pair.urn);
  assert.equal(a.options.protect, true);
  assert.deepEqual(a.inputs, { secret: "s3cret", plain: "p" });
  assert.deepEqual(a.secretPaths, ["secret"]);
  assert.equal(a.id, "p-a-id");
  assert.deepEqual(b.options.dependsOn, [a.urn]);
  assert.equal(b.options.deleteBeforeReplace, true);
  assert.deepEqual(b.inputs["list"], ["x", "y"]);
  assert.ok(b.secretPaths.includes("list[1]"), `secret paths: ${b.secretPaths.join(",")}`);
  assert.ok(!b.secretPaths.includes("list[0]"));
  assert.deepEqual(b.propertyDependencies["ref"], [a.urn]);
  assert.ok(b.dependencies.includes(a.urn));
  assert.deepEqual(result.outputs, { out: "hidden", visible: "yes" });
  assert.deepEqual(result.outputSecretPaths, ["out"]);
  assert.ok(a.order < b.order);
});

test("a function call the mocks do not know fails loudly", async () => {
  await assert.rejects(
    record(async () => {
      await pulumi.runtime.invoke("test:index:getNothing", {});
      return {};
    }, { project: "docstown", stack: "test", config: {}, secretKeys: [] }),
    /no mock for function test:index:getNothing/,
  );
});
