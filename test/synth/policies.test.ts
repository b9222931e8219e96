import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { SynthResult } from "../../src/synth/recorder";
import { checkPolicies } from "../../src/synth/policies";
import { synthStack } from "../harness";

const VOLUME = "digitalocean:index/volume:Volume";
const ATTACHMENT = "digitalocean:index/volumeAttachment:VolumeAttachment";
const DROPLET = "digitalocean:index/droplet:Droplet";
const CONTAINER = "docker:index/container:Container";

function role(r: SynthResult["resources"][number]): string | undefined {
  const labels = (r.inputs["labels"] as { label: string; value: string }[] | undefined) ?? [];
  return labels.find((l) => l.label === "docstown.role")?.value;
}

/** The same graph with one change, as a policy run sees it. */
function edit(result: SynthResult, change: (resources: SynthResult["resources"]) => SynthResult["resources"]): SynthResult {
  return { ...result, resources: change(structuredClone(result.resources)) };
}

async function mandatory(result: SynthResult, policy?: string) {
  const violations = (await checkPolicies(result)).filter((v) => v.enforcementLevel === "mandatory");
  return policy === undefined ? violations : violations.filter((v) => v.policy === policy);
}

describe("the policy pack on the graphs synth renders", () => {
  let production: SynthResult;
  let local: SynthResult;
  before(async () => {
    production = await synthStack("production");
    local = await synthStack("local");
  });

  test("production and local yield zero mandatory violations", async () => {
    assert.deepEqual(await mandatory(production), []);
    assert.deepEqual(await mandatory(local), []);
  });

  const breakages: [string, (rs: SynthResult["resources"]) => SynthResult["resources"], string][] = [
    ["the volume removed", (rs) => rs.filter((r) => r.type !== VOLUME),
      'VolumeAttachment "docstown-repos-attachment" of droplet "docstown-droplet" attaches no DigitalOcean Volume declared in this stack; /data/repos needs its own protected Volume resource'],
    ["its attachment removed", (rs) => rs.filter((r) => r.type !== ATTACHMENT),
      'droplet "docstown-droplet" has no VolumeAttachment; /data/repos would live on the droplet\'s root disk and be lost on replacement'],
    ["its mount removed from the user-data", (rs) => rs.map((r) => {
      if (r.type !== DROPLET) return r;
      const userData = String(r.inputs["userData"]).split("\n").filter((l) => !l.includes("/dev/disk/by-id/")).join("\n");
      return { ...r, inputs: { ...r.inputs, userData } };
    }), 'droplet "docstown-droplet" userData does not mount volume "docstown-repos-volume" (/dev/disk/by-id/scsi-0DO_Volume_docstown-repos) at /data/repos; DigitalOcean mounts a volume only when it is created, so after a reboot or replacement /data/repos would be on the root disk'],
    ["the web container's mount removed", (rs) => rs.map((r) => (r.type === CONTAINER && role(r) === "web" ? { ...r, inputs: { ...r.inputs, volumes: [] } } : r)),
      'container "docstown-web" (role web) does not mount the host directory /data/repos at /data/repos; the clone would live in the container\'s writable layer and be lost on replacement'],
  ];
  for (const [title, change, message] of breakages) {
    test(`production with ${title} violates persistent-volume-presence`, async () => {
      const found = await mandatory(edit(production, change), "persistent-volume-presence");
      assert.ok(found.length > 0, `expected a persistent-volume violation with ${title}`);
      assert.deepEqual(found.map((v) => v.message), [message]);
    });
  }

  test("local with the worker's repos volume unmounted violates persistent-volume-presence", async () => {
    const broken = edit(local, (rs) => rs.map((r) => (r.type === CONTAINER && role(r) === "worker" ? { ...r, inputs: { ...r.inputs, volumes: [] } } : r)));
    const found = await mandatory(broken, "persistent-volume-presence");
    assert.ok(found.length > 0);
    assert.deepEqual(found.map((v) => v.message), [
      'container "docstown-worker" (role worker) does not mount a named docker volume at /data/repos; the clone would live in the container\'s writable layer and be lost on replacement',
    ]);
  });

  test("a secret-looking env var holding a plain value is a mandatory violation only synth can see", async () => {
    const broken = edit(production, (rs) => rs.map((r) => (r.type === CONTAINER && role(r) === "web" ? { ...r, secretPaths: [] } : r)));
    const found = await mandatory(broken, "container-secret-env-values");
    assert.ok(found.some((v) => v.message.includes("RAILS_MASTER_KEY")), JSON.stringify(found));
  });
});
