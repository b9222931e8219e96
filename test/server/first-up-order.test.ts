// First up: the reserved IP assignment waits for the volume attachment. Both are actions on the
// new droplet; DigitalOcean refuses one while another is pending, and only the attachment retries.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { RecordedResource, SynthResult } from "../../src/synth/recorder";
import { one, synthStack } from "../harness";

const ASSIGNMENT = "digitalocean:index/reservedIpAssignment:ReservedIpAssignment";
const ATTACHMENT = "digitalocean:index/volumeAttachment:VolumeAttachment";
const DROPLET = "digitalocean:index/droplet:Droplet";

/** Every resource `r` waits for, directly or through what it waits for. */
function waitsFor(result: SynthResult, r: RecordedResource): Set<string> {
  const byUrn = new Map(result.resources.map((x) => [x.urn, x]));
  const seen = new Set<string>();
  const visit = (x: RecordedResource) => {
    for (const dep of x.dependencies) {
      if (seen.has(dep)) continue;
      seen.add(dep);
      const next = byUrn.get(dep);
      if (next) visit(next);
    }
  };
  visit(r);
  return seen;
}

test("the reserved IP assignment is ordered after the volume attachment, never the other way", async () => {
  const result = await synthStack("production");
  const assignment = one(result, ASSIGNMENT);
  const attachment = one(result, ATTACHMENT);
  assert.ok(assignment.options.dependsOn.includes(attachment.urn), "dependsOn: the attachment");
  assert.ok(!waitsFor(result, attachment).has(assignment.urn), "no cycle: the attachment does not wait for the assignment");
  // Both still follow the droplet they act on.
  const droplet = one(result, DROPLET);
  assert.ok(assignment.propertyDependencies["dropletId"]?.includes(droplet.urn));
  assert.ok(attachment.propertyDependencies["dropletId"]?.includes(droplet.urn));
});
