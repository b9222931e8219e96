import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { persistentVolumePresence as policy, readPersistentVolumeConfig } from "../../policies/persistent-volume";
import {
  DROPLET_ID,
  UNKNOWN_ARRAY,
  UNKNOWN_NUMBER,
  UNKNOWN_STRING,
  USER_DATA,
  USER_DATA_WITHOUT_MOUNT,
  find,
  localGraph,
  messages,
  only,
  productionGraph,
  setOpts,
  setProps,
  violations,
  without,
} from "./fixtures";

const DROPLET = "docstown-server-droplet";
const NO_ATTACHMENT = `droplet "${DROPLET}" has no VolumeAttachment; /data/repos would live on the droplet's root disk and be lost on replacement`;
const NOT_MOUNTED =
  `droplet "${DROPLET}" userData does not mount volume "docstown-repos-volume" (/dev/disk/by-id/scsi-0DO_Volume_docstown-repos) at /data/repos; ` +
  "DigitalOcean mounts a volume only when it is created, so after a reboot or replacement /data/repos would be on the root disk";
const containerNotMounted = (name: string, role: string, path = "/data/repos") =>
  `container "${name}" (role ${role}) does not mount the host directory ${path} at ${path}; ` +
  "the clone would live in the container's writable layer and be lost on replacement";
const localNotMounted = (name: string, role: string) =>
  `container "${name}" (role ${role}) does not mount a named docker volume at /data/repos; ` +
  "the clone would live in the container's writable layer and be lost on replacement";

describe("persistent-volume-presence: production", () => {
  test("the compliant production graph passes", async () => {
    assert.deepEqual(await messages(policy, productionGraph()), []);
  });

  test("(a) the volume removed: the attachment attaches nothing declared", async () => {
    const found = await violations(policy, without(productionGraph(), "docstown-repos-volume"));
    assert.deepEqual(found.map((v) => v.message), [
      'VolumeAttachment "docstown-repos-attachment" of droplet "docstown-server-droplet" attaches no DigitalOcean Volume declared in this stack; ' +
        "/data/repos needs its own protected Volume resource",
    ]);
    assert.equal(found[0]?.enforcementLevel, "mandatory");
    assert.equal(found[0]?.urn, find(productionGraph(), "docstown-repos-attachment").urn);
  });

  test("(b) the attachment removed", async () => {
    const found = await violations(policy, without(productionGraph(), "docstown-repos-attachment"));
    assert.deepEqual(found.map((v) => v.message), [NO_ATTACHMENT]);
    assert.equal(found[0]?.urn, find(productionGraph(), DROPLET).urn);
  });

  test("(c) the mount removed from userData", async () => {
    const graph = setProps(productionGraph(), DROPLET, { userData: USER_DATA_WITHOUT_MOUNT });
    assert.deepEqual(await messages(policy, graph), [NOT_MOUNTED]);
  });

  test("(c) the mount without nofail", async () => {
    const graph = setProps(productionGraph(), DROPLET, { userData: USER_DATA.replace("defaults,nofail,discard,noatime", "defaults,discard") });
    assert.deepEqual(await messages(policy, graph), [
      `droplet "${DROPLET}" userData mounts volume "docstown-repos-volume" (/dev/disk/by-id/scsi-0DO_Volume_docstown-repos) at /data/repos ` +
        "without the nofail option; a missing volume would stop the droplet from booting",
    ]);
  });

  test("(c) no userData at all", async () => {
    const graph = setProps(productionGraph(), DROPLET, { userData: undefined });
    assert.deepEqual(await messages(policy, graph), [
      `droplet "${DROPLET}" has no userData; nothing mounts volume "docstown-repos-volume" (/dev/disk/by-id/scsi-0DO_Volume_docstown-repos) at /data/repos at boot`,
    ]);
  });

  test("(c) userData mounting another volume's device", async () => {
    const graph = setProps(productionGraph(), DROPLET, { userData: USER_DATA.replace("scsi-0DO_Volume_docstown-repos", "scsi-0DO_Volume_docstown-repos-old") });
    assert.deepEqual(await messages(policy, graph), [NOT_MOUNTED]);
  });

  test("(d) the web container's mount removed", async () => {
    const graph = setProps(productionGraph(), "docstown-web", { volumes: undefined });
    assert.deepEqual(await messages(policy, graph), [containerNotMounted("docstown-web", "web")]);
  });

  test("(d) the worker mounting the path read from a named docker volume instead of the host", async () => {
    const graph = setProps(productionGraph(), "docstown-worker", { volumes: [{ volumeName: "repos", containerPath: "/data/repos" }] });
    assert.deepEqual(await messages(policy, graph), [containerNotMounted("docstown-worker", "worker")]);
  });

  test("a bind mount through `mounts` counts", async () => {
    const graph = setProps(productionGraph(), "docstown-web", {
      volumes: undefined,
      mounts: [{ type: "bind", source: "/data/repos/", target: "/data/repos" }],
    });
    assert.deepEqual(await messages(policy, graph), []);
  });

  test("the volume unprotected, not ext4, too small", async () => {
    const graph = setOpts(productionGraph(), "docstown-repos-volume", { protect: false });
    setProps(graph, "docstown-repos-volume", { initialFilesystemType: "xfs", size: 5 });
    assert.deepEqual(await messages(policy, graph), [
      'volume "docstown-repos-volume" is not protected (opts.protect); deleting it would destroy the clone at /data/repos',
      'volume "docstown-repos-volume" has initialFilesystemType "xfs"; it must be "ext4"',
      'volume "docstown-repos-volume" has size 5 GB; it must be at least 10 GB',
    ]);
  });

  test("the volume without filesystem type or size", async () => {
    const graph = setProps(productionGraph(), "docstown-repos-volume", { initialFilesystemType: undefined, size: undefined });
    assert.deepEqual(await messages(policy, graph), [
      'volume "docstown-repos-volume" has no initialFilesystemType; it must be "ext4"',
      'volume "docstown-repos-volume" has no size; it must be at least 10 GB',
    ]);
  });

  test("minVolumeSizeGb and mountPath come from the policy config", async () => {
    const config = { "persistent-volume-presence": { minVolumeSizeGb: 100 } };
    assert.deepEqual(await messages(policy, productionGraph(), config), [
      'volume "docstown-repos-volume" has size 50 GB; it must be at least 100 GB',
    ]);
    const moved = await messages(policy, productionGraph(), { "persistent-volume-presence": { mountPath: "/srv/repos" } });
    assert.deepEqual(moved, [
      NOT_MOUNTED.replaceAll("/data/repos", "/srv/repos"),
      containerNotMounted("docstown-web", "web", "/srv/repos"),
      containerNotMounted("docstown-worker", "worker", "/srv/repos"),
    ]);
  });

  test("invalid config is an error, not a pass", async () => {
    assert.throws(() => readPersistentVolumeConfig({ mountPath: "data" }), /mountPath must be an absolute path/);
    assert.throws(() => readPersistentVolumeConfig({ minVolumeSizeGb: 0 }), /minVolumeSizeGb must be a whole number/);
    await assert.rejects(violations(policy, productionGraph(), { "persistent-volume-presence": { minVolumeSizeGb: "ten" } }), /must be of type integer/);
    assert.deepEqual(readPersistentVolumeConfig({}), { mountPath: "/data/repos", minVolumeSizeGb: 10 });
  });

  test("volumeIds on the droplet", async () => {
    const graph = setProps(productionGraph(), DROPLET, { volumeIds: ["6f1c0a52-0d3c-4b7e-a2f1-9e8d7c6b5a49"] });
    assert.deepEqual(await messages(policy, graph), [
      `droplet "${DROPLET}" sets volumeIds; attach the repos volume only through a VolumeAttachment, or the droplet cannot be replaced while the volume stays`,
    ]);
  });

  test("two attachments on one droplet", async () => {
    const graph = productionGraph();
    const second = { ...find(graph, "docstown-repos-attachment"), name: "docstown-other-attachment", urn: "urn:pulumi:production::docstown::digitalocean:index/volumeAttachment:VolumeAttachment::docstown-other-attachment" };
    graph.push(second);
    assert.deepEqual(await messages(policy, graph), [
      `droplet "${DROPLET}" has 2 VolumeAttachments ("docstown-repos-attachment", "docstown-other-attachment"); exactly one repos volume must be attached`,
    ]);
  });

  test("an attachment of another droplet does not count", async () => {
    const graph = productionGraph();
    const attachment = find(graph, "docstown-repos-attachment");
    attachment.propertyDependencies = { dropletId: ["urn:pulumi:production::docstown::digitalocean:index/droplet:Droplet::other"], volumeId: attachment.propertyDependencies["volumeId"] ?? [] };
    attachment.dependencies = [];
    assert.deepEqual(await messages(policy, graph), [NO_ATTACHMENT]);
  });

  test("ids match when known (no property dependencies recorded)", async () => {
    const graph = productionGraph();
    setProps(graph, DROPLET, { id: String(DROPLET_ID) });
    setProps(graph, "docstown-repos-volume", { id: "6f1c0a52-0d3c-4b7e-a2f1-9e8d7c6b5a49" });
    const attachment = find(graph, "docstown-repos-attachment");
    attachment.propertyDependencies = {};
    attachment.dependencies = [];
    assert.deepEqual(await messages(policy, graph), []);
    setProps(graph, "docstown-repos-attachment", { dropletId: 1 });
    assert.deepEqual(await messages(policy, graph), [NO_ATTACHMENT]);
  });

  test("no web container in the stack", async () => {
    const graph = without(productionGraph(), "docstown-web");
    assert.deepEqual(await messages(policy, graph), [
      "the stack has no container labelled docstown.role=web, so nothing uses /data/repos for the web role",
    ]);
  });

  test("a stack with neither droplet nor app containers: one violation", async () => {
    const graph = only(productionGraph(), "docstown-apex", "docstown-ssl", "docstown-db");
    const found = await violations(policy, graph);
    assert.deepEqual(found, [
      {
        policy: "persistent-volume-presence",
        enforcementLevel: "mandatory",
        message: "the stack has no droplet and no DocsTown container (label docstown.role); nothing holds /data/repos on persistent storage",
      },
    ]);
    assert.deepEqual(await messages(policy, []), [found[0]?.message]);
  });
});

describe("persistent-volume-presence: unknown values in a preview", () => {
  test("attachment ids unknown, no property dependencies, but a dependency: skipped, not passed as attached nor failed", async () => {
    const graph = productionGraph();
    setProps(graph, "docstown-repos-attachment", { dropletId: UNKNOWN_NUMBER, volumeId: UNKNOWN_STRING });
    const attachment = find(graph, "docstown-repos-attachment");
    attachment.propertyDependencies = {};
    // No userData mount: this would be reported if the attachment were (wrongly) resolved.
    setProps(graph, DROPLET, { userData: USER_DATA_WITHOUT_MOUNT });
    assert.deepEqual(await messages(policy, graph), []);
  });

  test("ids unknown but property dependencies recorded: resolved through them", async () => {
    const graph = productionGraph();
    setProps(graph, "docstown-repos-attachment", { dropletId: UNKNOWN_NUMBER, volumeId: UNKNOWN_STRING });
    setProps(graph, DROPLET, { userData: USER_DATA_WITHOUT_MOUNT });
    assert.deepEqual(await messages(policy, graph), [NOT_MOUNTED]);
  });

  test("unknown userData, size, volumes and volumeIds: those checks are skipped, the others still run", async () => {
    const graph = productionGraph();
    setProps(graph, DROPLET, { userData: UNKNOWN_STRING, volumeIds: UNKNOWN_ARRAY });
    setProps(graph, "docstown-repos-volume", { size: UNKNOWN_NUMBER, name: UNKNOWN_STRING });
    setProps(graph, "docstown-web", { volumes: UNKNOWN_ARRAY });
    setProps(graph, "docstown-worker", { volumes: [{ hostPath: UNKNOWN_STRING, containerPath: "/data/repos" }] });
    setOpts(graph, "docstown-repos-volume", { protect: false });
    assert.deepEqual(await messages(policy, graph), [
      'volume "docstown-repos-volume" is not protected (opts.protect); deleting it would destroy the clone at /data/repos',
    ]);
  });

  test("unknown volume name: any DigitalOcean volume device at the mount path is accepted, none is not", async () => {
    const graph = setProps(productionGraph(), "docstown-repos-volume", { name: UNKNOWN_STRING });
    assert.deepEqual(await messages(policy, graph), []);
    setProps(graph, DROPLET, { userData: USER_DATA_WITHOUT_MOUNT });
    assert.deepEqual(await messages(policy, graph), [
      `droplet "${DROPLET}" userData does not mount volume "docstown-repos-volume" (/dev/disk/by-id/scsi-0DO_Volume_<volume name>) at /data/repos; ` +
        "DigitalOcean mounts a volume only when it is created, so after a reboot or replacement /data/repos would be on the root disk",
    ]);
  });

  test("props entirely absent: reported, never passed", async () => {
    const graph = productionGraph();
    for (const name of [DROPLET, "docstown-repos-volume", "docstown-repos-attachment", "docstown-web", "docstown-worker"]) {
      find(graph, name).props = {};
    }
    const found = await messages(policy, graph);
    assert.ok(found.length > 0);
    assert.ok(found.includes('volume "docstown-repos-volume" has no size; it must be at least 10 GB'));
    assert.ok(found.includes(`droplet "${DROPLET}" has no userData; nothing mounts volume "docstown-repos-volume" (/dev/disk/by-id/scsi-0DO_Volume_<volume name>) at /data/repos at boot`));
  });

  test("a container whose role label is unknown is not judged", async () => {
    const graph = without(productionGraph(), "docstown-web");
    setProps(graph, "docstown-migrate", { labels: UNKNOWN_ARRAY });
    assert.deepEqual(await messages(policy, graph), []);
  });
});

describe("persistent-volume-presence: local stack", () => {
  test("the compliant local graph passes", async () => {
    assert.deepEqual(await messages(policy, localGraph()), []);
  });

  test("the docker volume unmounted from the worker", async () => {
    const graph = setProps(localGraph(), "docstown-worker", { volumes: undefined });
    const found = await violations(policy, graph);
    assert.deepEqual(found.map((v) => v.message), [localNotMounted("docstown-worker", "worker")]);
    assert.equal(found[0]?.urn, find(localGraph(), "docstown-worker").urn);
  });

  test("a bind mount is not a named docker volume", async () => {
    const graph = setProps(localGraph(), "docstown-web", { volumes: [{ hostPath: "/tmp/repos", containerPath: "/data/repos" }] });
    assert.deepEqual(await messages(policy, graph), [localNotMounted("docstown-web", "web")]);
  });

  test("a volume name that no declared docker volume has", async () => {
    const graph = setProps(localGraph(), "docstown-worker", { volumes: [{ volumeName: "repos-elsewhere", containerPath: "/data/repos" }] });
    assert.deepEqual(await messages(policy, graph), [
      'container "docstown-worker" (role worker) mounts docker volume "repos-elsewhere" at /data/repos, but no docker:index/volume:Volume of that name is declared in this stack',
    ]);
  });

  test("web and worker on different volumes", async () => {
    const graph = setProps(localGraph(), "docstown-worker", { volumes: [{ volumeName: "docstown-postgres-data", containerPath: "/data/repos" }] });
    assert.deepEqual(await messages(policy, graph), [
      'web and worker mount different docker volumes at /data/repos ("docstown-repos", "docstown-postgres-data"); they must share one',
    ]);
  });

  test("no docker volume at all", async () => {
    const graph = without(without(without(localGraph(), "docstown-repos"), "docstown-postgres-data"), "docstown-proxy-data");
    assert.deepEqual(await messages(policy, graph), [
      "the stack has no droplet and no docker:index/volume:Volume; /data/repos would live in the containers' writable layers and be lost on replacement",
    ]);
  });

  test("volume mounts through `mounts` of type volume, and an unknown volume name resolved by dependency", async () => {
    const graph = setProps(localGraph(), "docstown-web", {
      volumes: undefined,
      mounts: [{ type: "volume", source: "docstown-repos", target: "/data/repos" }],
    });
    setProps(graph, "docstown-worker", { volumes: [{ volumeName: UNKNOWN_STRING, containerPath: "/data/repos" }] });
    assert.deepEqual(await messages(policy, graph), []);
  });
});
