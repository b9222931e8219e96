// Restore by config: the snapshot check against the loopback fake of DigitalOcean's API (refused
// before any resource is declared), what the restore changes under synth, and the policy pack on it.
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { runStack } from "../../stacks";
import { checkPolicies, policyConfigFor } from "../../src/synth/policies";
import { compareGraphs, type GraphDocument } from "../../src/synth/compare";
import { record } from "../../src/synth/recorder";
import type { SynthRender } from "../../src/synth/synthesize";
import { readStackFile, secretKeysOf } from "../../src/synth/stack-file";
import { restoredVolumeName } from "../../src/snapshots/restore";
import { PROJECT_DIR, synthStack } from "../harness";
import { snapshotOf, startFakeApi, type FakeApi, type FakeVolume } from "./fake-do-api";

const REGION = "fra1"; // Pulumi.production.yaml
const REPOS: FakeVolume = { id: "0a1b2c3d-0000-4000-8000-00000000aaaa", name: "docstown-repos", region: REGION, sizeGb: 50 };
const STRANGER: FakeVolume = { id: "0a1b2c3d-0000-4000-8000-00000000cccc", name: "someone-elses", region: REGION, sizeGb: 50 };
const volumeWith = (extra: Record<string, unknown>) => JSON.stringify({ name: "docstown-repos", sizeGb: 50, mountPath: "/data/repos", ...extra });

let api: FakeApi;
const ours = snapshotOf(REPOS, "docstown-auto-docstown-repos-20261130-033000", new Date(Date.UTC(2026, 10, 30, 3, 30)));
const theirs = snapshotOf(STRANGER, "nightly", new Date(Date.UTC(2026, 10, 30, 3, 30)));
const big = { ...snapshotOf(REPOS, "docstown-auto-docstown-repos-20261129-033000", new Date(Date.UTC(2026, 10, 29))), min_disk_size: 100 };
const saved = { token: process.env["DIGITALOCEAN_TOKEN"], url: process.env["DIGITALOCEAN_API_URL"] };

before(async () => {
  api = await startFakeApi({ volumes: [REPOS, STRANGER], snapshots: [ours, theirs, big] });
  process.env["DIGITALOCEAN_TOKEN"] = api.token;
  process.env["DIGITALOCEAN_API_URL"] = api.url;
});
after(async () => {
  for (const [k, v] of [["DIGITALOCEAN_TOKEN", saved.token], ["DIGITALOCEAN_API_URL", saved.url]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await api.close();
});

/** runStack (what `pulumi up` runs) under the mocks; how many resources it declared, or its error. */
async function runProgram(volume: string): Promise<{ declared: number; error?: string }> {
  const stackFile = readStackFile(resolve(PROJECT_DIR, "Pulumi.production.yaml"), true);
  const config = { ...stackFile.config, "docstown:volume": volume };
  let declared = 0;
  try {
    await record(
      () => {
        pulumi.runtime.registerStackTransformation(() => {
          declared += 1;
          return undefined;
        });
        return runStack();
      },
      { project: "docstown", stack: "production", config, secretKeys: secretKeysOf(Object.keys(config)) },
    );
    return { declared };
  } catch (error) {
    return { declared, error: error instanceof Error ? error.message : String(error) };
  }
}

describe("volume.restoreFromSnapshot is checked before anything is declared", () => {
  for (const [what, id, message] of [
    ["a snapshot that does not exist", "deadbeef-0000-4000-8000-000000000000", /no snapshot deadbeef-0000-4000-8000-000000000000 in this DigitalOcean account/],
    ["another volume's snapshot", theirs.id, /was taken of volume 0a1b2c3d-0000-4000-8000-00000000cccc, not of docstown-repos/],
    ["a snapshot larger than volume.sizeGb", big.id, /needs a volume of at least 100 GB; docstown:volume.sizeGb is 50/],
  ] as const) {
    test(`${what}: one message naming the key, no resource declared`, async () => {
      const r = await runProgram(volumeWith({ restoreFromSnapshot: id }));
      assert.match(r.error ?? "(no error)", message);
      assert.match(r.error ?? "", /^docstown:volume\.restoreFromSnapshot: /);
      assert.equal(r.declared, 0);
    });
  }

  test("this volume's snapshot: the program declares the stack", async () => {
    const r = await runProgram(volumeWith({ restoreFromSnapshot: ours.id }));
    assert.equal(r.error, undefined);
    assert.ok(r.declared > 50, `declared ${r.declared}`);
  });
});

describe("a restore under synth", () => {
  let beforeGraph: GraphDocument;
  let afterGraph: Awaited<ReturnType<typeof synthStack>>;
  const restoredUrn = `urn:pulumi:production::docstown::docstown:server:Server$docstown:server:ReposVolume$digitalocean:index/volume:Volume::docstown-repos-volume-r${ours.id.slice(0, 8)}`;
  before(async () => {
    beforeGraph = await synthStack("production");
    afterGraph = await synthStack("production", { "docstown:volume": volumeWith({ restoreFromSnapshot: ours.id }) });
  });

  test("--compare: the new volume, the attachment and the droplet's mount change; the old volume is kept as it was", () => {
    const changes = compareGraphs(beforeGraph, afterGraph);
    assert.deepEqual(changes.filter((c) => c.kind !== "changed").map((c) => `${c.kind} ${c.urn}`), [`added ${restoredUrn}`]);
    const direct = Object.fromEntries(changes.filter((c) => c.keys.length > 0).map((c) => [c.urn.split("::").pop(), c.keys]));
    assert.deepEqual(direct, {
      "docstown-repos-attachment": ["volumeId"],
      "docstown-droplet": ["userData"], // the mount unit names the new device: the droplet is replaced, delete-first
      "docstown-ready": ["triggers"], // the new attachment's id
    });
    // Everything else changes only because the droplet is replaced (its id).
    for (const c of changes.filter((c) => c.keys.length === 0 && c.kind === "changed")) {
      assert.ok(Object.values(c.from ?? {}).flat().every((u) => u.endsWith("::docstown-droplet")), c.urn);
    }
    const oldVolume = afterGraph.resources.find((r) => r.urn.endsWith("::docstown-repos-volume"));
    assert.ok(oldVolume, "the original volume stays declared");
    assert.equal((oldVolume.options as { protect?: boolean }).protect, true);
  });

  test("the restored volume: from the snapshot, its own name, protected; the user-data mounts and snapshots it", () => {
    const restored = afterGraph.resources.find((r) => r.urn === restoredUrn);
    assert.ok(restored);
    const inputs = restored.inputs as Record<string, unknown>;
    assert.equal(inputs["snapshotId"], ours.id);
    assert.equal(inputs["name"], restoredVolumeName("docstown-repos", ours.id));
    assert.equal((restored.options as { protect?: boolean }).protect, true);
    const droplet = afterGraph.resources.find((r) => r.urn.endsWith("::docstown-droplet"));
    const userData = String((droplet?.inputs as Record<string, unknown>)["userData"]);
    assert.ok(userData.includes(`scsi-0DO_Volume_${restoredVolumeName("docstown-repos", ours.id)} /data/repos`));
    assert.ok(userData.includes(`docstown-volume-snapshot run ${restoredVolumeName("docstown-repos", ours.id)} /data/repos`));
  });

  test("clean-up: keepOriginal false drops only the original volume from the program", async () => {
    const retired = await synthStack("production", { "docstown:volume": volumeWith({ restoreFromSnapshot: ours.id, keepOriginal: false }) });
    const changes = compareGraphs(afterGraph, retired);
    assert.deepEqual(changes.map((c) => `${c.kind} ${c.urn.split("::").pop()}`), ["removed docstown-repos-volume"]);
  });

  test("keepOriginal false without a restore is refused, naming the key", async () => {
    await assert.rejects(synthStack("production", { "docstown:volume": volumeWith({ keepOriginal: false }) }), /docstown:volume\.keepOriginal: may be false only with volume\.restoreFromSnapshot/);
  });

  test("the policy pack passes the restored stack (protected, attached, mounted at the same path)", async () => {
    const violations = await checkPolicies(afterGraph, policyConfigFor((afterGraph as SynthRender).config));
    assert.deepEqual(violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policy}: ${v.message}`), []);
  });
  test("persistent-volume-presence still holds a restored volume to protection", async () => {
    // The same render with the restored volume's protect flag off.
    const graph = {
      ...afterGraph,
      resources: afterGraph.resources.map((r) => (r.urn === restoredUrn ? { ...r, options: { ...r.options, protect: false } } : r)),
    };
    assert.ok(graph.resources.some((r) => r.urn === restoredUrn && (r.options as { protect?: boolean }).protect === false));
    const violations = await checkPolicies(graph, policyConfigFor((afterGraph as SynthRender).config));
    assert.deepEqual(
      violations.filter((v) => v.policy === "persistent-volume-presence").map((v) => v.message),
      [`volume "docstown-repos-volume-r${ours.id.slice(0, 8)}" is not protected (opts.protect); deleting it would destroy the clone at /data/repos`],
    );
  });
});
