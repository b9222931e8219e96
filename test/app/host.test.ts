// A replaced droplet keeps its reserved IP, so the Docker provider's address does not change; the
// droplet id on every app resource is what makes Pulumi recreate them on the new engine.
import assert from "node:assert/strict";
import { test } from "node:test";
import { byType, one, synthStack } from "../harness";

test("every app resource on the droplet is bound to the droplet's id", async () => {
  const r = await synthStack("production");
  const droplet = one(r, "digitalocean:index/droplet:Droplet");
  assert.ok(droplet.id !== undefined);
  const label = (x: { inputs: Record<string, unknown> }) =>
    ((x.inputs["labels"] as { label: string; value: string }[] | undefined) ?? []).find((l) => l.label === "docstown.host")?.value;

  const containers = byType(r, "docker:index/container:Container");
  const networks = byType(r, "docker:index/network:Network");
  // The operators' keys step runs on the droplet too (src/server/authorized-keys.ts): a new one gets it again.
  assert.deepEqual(containers.map((c) => c.name.replace(/^docstown-/, "")).sort(), ["migrate", "operators-authorized-keys", "proxy", "web", "worker"]);
  for (const x of [...containers, ...networks]) {
    assert.equal(label(x), droplet.id, `${x.name} carries docstown.host`);
    assert.ok(x.propertyDependencies["labels"]?.includes(droplet.urn), `${x.name}'s labels come from the droplet`);
  }
  for (const image of byType(r, "docker:index/remoteImage:RemoteImage")) {
    assert.deepEqual(image.inputs["pullTriggers"], [droplet.id], `${image.name} is pulled again on a new droplet`);
  }
});

test("the local stack has no such binding", async () => {
  const r = await synthStack("local");
  for (const x of byType(r, "docker:index/container:Container")) {
    const labels = (x.inputs["labels"] as { label: string }[] | undefined) ?? [];
    assert.ok(!labels.some((l) => l.label === "docstown.host"), x.name);
  }
});
