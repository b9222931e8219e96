import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { containerCapabilityNames, containerUploadUser, containerVolumeOptions, hasGroupPart, isReadBackCapability } from "../../policies/container-daemon-forms";
import { UNKNOWN_ARRAY, UNKNOWN_STRING, localGraph, messages, productionGraph, setProps, violations } from "./fixtures";

/** Each test starts from a compliant fixture and breaks one property. */

const proxy = (props: Record<string, unknown>) => setProps(productionGraph(), "docstown-proxy", props);
const web = (props: Record<string, unknown>) => setProps(productionGraph(), "docstown-web", props);
const CA_UPLOAD = [{ file: "/rails/config/database-ca.crt", content: "-----BEGIN CERTIFICATE-----\n...", permissions: "0444" }];

describe("container-upload-user", () => {
  test("the compliant graphs pass: bare uids beside uploads", async () => {
    assert.deepEqual(await messages(containerUploadUser, productionGraph()), []);
    assert.deepEqual(await messages(containerUploadUser, localGraph()), []);
    assert.equal(hasGroupPart("65534"), false);
    assert.equal(hasGroupPart("rails:rails"), true);
  });

  test("uid:gid with uploads is a mandatory violation naming the container, the user and the cause", async () => {
    const found = await violations(containerUploadUser, proxy({ user: "65534:65534" }));
    assert.deepEqual(found.map((v) => [v.policy, v.enforcementLevel, v.message]), [
      [
        "container-upload-user",
        "mandatory",
        'container "docstown-proxy" sets user "65534:65534" together with uploads; the Docker daemon cannot resolve a user with a group part ' +
          'for uploads and the create fails (moby #34142). Use a bare uid such as "65534" that the image\'s /etc/passwd maps to a non-zero group',
      ],
    ]);
  });

  test("name:group with uploads too; a database CA upload on an app container counts", async () => {
    assert.equal((await messages(containerUploadUser, web({ user: "rails:rails", uploads: CA_UPLOAD }))).length, 1);
    assert.equal((await messages(containerUploadUser, web({ user: "1000:1000", uploads: CA_UPLOAD }))).length, 1);
  });

  test("uid:gid without uploads, or with none, is left alone", async () => {
    assert.deepEqual(await messages(containerUploadUser, web({ user: "1000:1000" })), []);
    assert.deepEqual(await messages(containerUploadUser, web({ user: "1000:1000", uploads: [] })), []);
  });

  test("unknown user or uploads are skipped", async () => {
    assert.deepEqual(await messages(containerUploadUser, proxy({ user: UNKNOWN_STRING })), []);
    assert.deepEqual(await messages(containerUploadUser, proxy({ user: "65534:65534", uploads: UNKNOWN_ARRAY })), []);
  });
});

describe("container-capability-names", () => {
  test("the compliant graphs pass: CAP_ names and ALL", async () => {
    assert.deepEqual(await messages(containerCapabilityNames, productionGraph()), []);
    assert.deepEqual(await messages(containerCapabilityNames, localGraph()), []);
    for (const name of ["ALL", "CAP_CHOWN", "CAP_NET_BIND_SERVICE"]) assert.equal(isReadBackCapability(name), true, name);
    for (const name of ["all", "CHOWN", "cap_chown", "NET_BIND_SERVICE", " CAP_CHOWN"]) assert.equal(isReadBackCapability(name), false, name);
  });

  test("an unprefixed add is a mandatory violation naming the container, the name and its read-back form", async () => {
    const found = await violations(containerCapabilityNames, proxy({ capabilities: { drops: ["ALL"], adds: ["NET_BIND_SERVICE"] } }));
    assert.deepEqual(found.map((v) => [v.policy, v.enforcementLevel, v.message]), [
      [
        "container-capability-names",
        "mandatory",
        'container "docstown-proxy" capabilities.adds has "NET_BIND_SERVICE", which the Docker daemon reads back as "CAP_NET_BIND_SERVICE", ' +
          'so every up after a refresh replaces the container; write them in that form (CAP_ prefix, upper case; "ALL" as is)',
      ],
    ]);
  });

  test("lower case in drops, and each list reported on its own", async () => {
    assert.deepEqual(await messages(containerCapabilityNames, web({ capabilities: { drops: ["all", "cap_net_raw"], adds: ["chown"] } })), [
      'container "docstown-web" capabilities.adds has "chown", which the Docker daemon reads back as "CAP_CHOWN", ' +
        'so every up after a refresh replaces the container; write them in that form (CAP_ prefix, upper case; "ALL" as is)',
      'container "docstown-web" capabilities.drops has "all", "cap_net_raw", which the Docker daemon reads back as "ALL", "CAP_NET_RAW", ' +
        'so every up after a refresh replaces the container; write them in that form (CAP_ prefix, upper case; "ALL" as is)',
    ]);
  });

  test("the owner step's CHOWN without the prefix is refused too", async () => {
    const graph = setProps(localGraph(), "docstown-proxy-data-owner", { capabilities: { drops: ["ALL"], adds: ["CHOWN"] } });
    assert.equal((await messages(containerCapabilityNames, graph)).length, 1);
  });

  test("unknown capabilities are skipped", async () => {
    assert.deepEqual(await messages(containerCapabilityNames, web({ capabilities: UNKNOWN_STRING })), []);
    assert.deepEqual(await messages(containerCapabilityNames, web({ capabilities: { drops: ["ALL"], adds: UNKNOWN_ARRAY } })), []);
  });
});

describe("container-volume-options", () => {
  const local = (name: string, props: Record<string, unknown>) => setProps(localGraph(), name, props);
  test("the compliant graphs pass: named volumes through `volumes`, no mount options", async () => {
    assert.deepEqual(await messages(containerVolumeOptions, productionGraph()), []);
    assert.deepEqual(await messages(containerVolumeOptions, localGraph()), []);
  });

  test("a mount with volumeOptions (noCopy alone) is a mandatory violation naming the container and the target", async () => {
    const mounts = [{ type: "volume", source: "docstown-proxy-data", target: "/data", volumeOptions: { noCopy: true } }];
    const found = await violations(containerVolumeOptions, local("docstown-proxy", { mounts }));
    assert.deepEqual(found.map((v) => [v.policy, v.enforcementLevel]), [["container-volume-options", "mandatory"]]);
    assert.match(found[0]?.message ?? "", /container "docstown-proxy" mounts "\/data" with volumeOptions; .*API 1\.45/);
  });

  test("a mount without options, or unknown mounts, is left alone", async () => {
    assert.deepEqual(await messages(containerVolumeOptions, local("docstown-proxy", { mounts: [{ type: "volume", source: "v", target: "/x" }] })), []);
    assert.deepEqual(await messages(containerVolumeOptions, local("docstown-proxy", { mounts: UNKNOWN_ARRAY })), []);
  });
});
