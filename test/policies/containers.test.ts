import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { containerCapabilityNames, containerUploadUser } from "../../policies/container-daemon-forms";
import { containerNoDockerSocket, containerNoSensitiveHostPaths, exposesDockerSocket } from "../../policies/container-host-paths";
import {
  containerCapabilities,
  containerNoHostDevices,
  containerNonRoot,
  containerNotPrivileged,
  containerSecurityOptions,
} from "../../policies/container-privileges";
import {
  containerImageDigest,
  containerLogRotation,
  containerMemoryLimit,
  containerNoHostNamespaces,
  containerNoNewPrivileges,
  containerReadOnlyRootfs,
  containerRestartPolicy,
  containerRoleLabel,
  containerWebHealthcheck,
  isPinnedImage,
} from "../../policies/containers";
import {
  APP_IMAGE,
  UNKNOWN_ARRAY,
  UNKNOWN_BOOLEAN,
  UNKNOWN_NUMBER,
  UNKNOWN_OBJECT,
  UNKNOWN_STRING,
  callDirectly,
  find,
  localGraph,
  messages,
  productionGraph,
  setProps,
  violations,
} from "./fixtures";

const WEB = "docstown-web";
const web = (props: Record<string, unknown>) => setProps(productionGraph(), WEB, props);

const ALL: readonly ResourceValidationPolicy[] = [
  containerRoleLabel,
  containerImageDigest,
  containerNotPrivileged,
  containerNoHostNamespaces,
  containerNoDockerSocket,
  containerNoSensitiveHostPaths,
  containerCapabilities,
  containerCapabilityNames,
  containerSecurityOptions,
  containerNoHostDevices,
  containerUploadUser,
  containerRestartPolicy,
  containerLogRotation,
  containerMemoryLimit,
  containerWebHealthcheck,
  containerReadOnlyRootfs,
  containerNonRoot,
  containerNoNewPrivileges,
];

describe("container policies: shared behaviour", () => {
  for (const policy of ALL) {
    test(`${policy.name}: compliant graphs pass (the local postgres is the one read-only exception)`, async () => {
      assert.deepEqual(await messages(policy, productionGraph()), []);
      const local = await messages(policy, localGraph());
      if (policy.name === "container-read-only-rootfs") {
        assert.deepEqual(local, ['container "docstown-postgres" has a writable root filesystem; set readOnly and mount the paths it writes (CIS Docker 5.12)']);
      } else {
        assert.deepEqual(local, []);
      }
    });

    test(`${policy.name}: other resource types are not applicable`, async () => {
      const result = await callDirectly(policy, find(productionGraph(), "docstown-server-droplet"));
      assert.deepEqual(result, { reported: [], notApplicable: "Policy only applies to resources of type 'docker:index/container:Container'" });
    });

    test(`${policy.name}: every property unknown neither crashes nor reports`, async () => {
      const graph = productionGraph();
      const container = find(graph, WEB);
      container.props = Object.fromEntries(Object.keys(container.props).map((k) => [k, UNKNOWN_STRING]));
      assert.deepEqual(await messages(policy, graph), []);
    });
  }
});

describe("container-role-label", () => {
  test("missing or unexpected role", async () => {
    assert.deepEqual(await messages(containerRoleLabel, web({ labels: undefined })), [
      'container "docstown-web" has no docstown.role label; label it with one of web, worker, migrate, proxy, postgres',
    ]);
    assert.deepEqual(await messages(containerRoleLabel, web({ labels: [{ label: "docstown.role", value: "api" }] })), [
      'container "docstown-web" has docstown.role label "api"; expected one of web, worker, migrate, proxy, postgres',
    ]);
  });

  test("an unknown label value is skipped", async () => {
    assert.deepEqual(await messages(containerRoleLabel, web({ labels: [{ label: "docstown.role", value: UNKNOWN_STRING }] })), []);
  });
});

describe("container-image-digest", () => {
  test("pinned forms", () => {
    assert.equal(isPinnedImage(APP_IMAGE), true);
    assert.equal(isPinnedImage(`sha256:${"ab".repeat(32)}`), true);
    assert.equal(isPinnedImage(`ghcr.io/docstown/docstown:1.0@sha256:${"ab".repeat(32)}`), true);
    assert.equal(isPinnedImage(`ghcr.io/docstown/docstown@sha256:${"AB".repeat(32)}`), false);
    assert.equal(isPinnedImage(`ghcr.io/docstown/docstown@sha256:${"ab".repeat(31)}`), false);
  });

  test("a tag, and no image", async () => {
    assert.deepEqual(await messages(containerImageDigest, web({ image: "ghcr.io/docstown/docstown:latest" })), [
      'container "docstown-web" image "ghcr.io/docstown/docstown:latest" is not pinned by digest; use <repo>@sha256:<64 hex> so a moved tag cannot change what runs',
    ]);
    assert.deepEqual(await messages(containerImageDigest, web({ image: undefined })), ['container "docstown-web" has no image']);
  });
});

describe("container-not-privileged", () => {
  test("privileged", async () => {
    const found = await violations(containerNotPrivileged, web({ privileged: true }));
    assert.deepEqual(found, [
      {
        policy: "container-not-privileged",
        enforcementLevel: "mandatory",
        urn: find(productionGraph(), WEB).urn,
        message: 'container "docstown-web" runs privileged; a privileged container controls the host (CIS Docker 5.5)',
      },
    ]);
    assert.deepEqual(await messages(containerNotPrivileged, web({ privileged: UNKNOWN_BOOLEAN })), []);
  });
});

describe("container-no-host-namespaces", () => {
  test("each host namespace is its own violation", async () => {
    const graph = web({ networkMode: "host", pidMode: "host", ipcMode: "host", usernsMode: "host" });
    assert.deepEqual(await messages(containerNoHostNamespaces, graph), [
      'container "docstown-web" sets networkMode "host"; it must not share the host\'s network namespace',
      'container "docstown-web" sets pidMode "host"; it must not share the host\'s process namespace',
      'container "docstown-web" sets ipcMode "host"; it must not share the host\'s IPC namespace',
      'container "docstown-web" sets usernsMode "host"; it must not share the host\'s user namespace',
    ]);
    assert.deepEqual(await messages(containerNoHostNamespaces, web({ networkMode: "bridge", ipcMode: "private" })), []);
  });

  test("the host's cgroup namespace", async () => {
    assert.deepEqual(await messages(containerNoHostNamespaces, web({ cgroupnsMode: "host" })), [
      'container "docstown-web" sets cgroupnsMode "host"; it must not share the host\'s cgroup namespace',
    ]);
    assert.deepEqual(await messages(containerNoHostNamespaces, web({ cgroupnsMode: "private" })), []);
  });
});

describe("container-no-docker-socket", () => {
  test("paths that expose the socket", () => {
    for (const path of ["/var/run/docker.sock", "/run/docker.sock", "/var/run", "/run/", "/var", "/"]) assert.equal(exposesDockerSocket(path), true, path);
    for (const path of ["/data/repos", "/var/lib/docker", "/run/user"]) assert.equal(exposesDockerSocket(path), false, path);
  });

  test("through volumes and mounts", async () => {
    const graph = web({
      volumes: [
        { hostPath: "/data/repos", containerPath: "/data/repos" },
        { hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" },
        { hostPath: "/run", containerPath: "/host-run" },
      ],
      mounts: [{ type: "bind", source: UNKNOWN_STRING, target: "/run/docker.sock" }],
    });
    assert.deepEqual(await messages(containerNoDockerSocket, graph), [
      'container "docstown-web" exposes the Docker socket through volumes[1] (/var/run/docker.sock); access to it is root on the host (CIS Docker 5.32)',
      'container "docstown-web" exposes the Docker socket through volumes[2] (/run); access to it is root on the host (CIS Docker 5.32)',
      'container "docstown-web" exposes the Docker socket through mounts[0] (/run/docker.sock); access to it is root on the host (CIS Docker 5.32)',
    ]);
  });
});

describe("container-restart-policy", () => {
  test("unset or no", async () => {
    assert.deepEqual(await messages(containerRestartPolicy, web({ restart: undefined })), [
      'container "docstown-web" has no restart policy; set restart to "unless-stopped" or "always" so it comes back after a crash or reboot',
    ]);
    assert.deepEqual(await messages(containerRestartPolicy, web({ restart: "no" })), [
      'container "docstown-web" has restart "no"; set restart to "unless-stopped" or "always" so it comes back after a crash or reboot',
    ]);
    assert.deepEqual(await messages(containerRestartPolicy, web({ restart: "on-failure" })), []);
  });

  test("the one-shot migrate container must not be restarted after it finished", async () => {
    const graph = setProps(productionGraph(), "docstown-migrate", { restart: "unless-stopped" });
    assert.deepEqual(await messages(containerRestartPolicy, graph), [
      'container "docstown-migrate" (role migrate) has restart "unless-stopped"; a one-shot migration must not run again after it exits',
    ]);
    assert.deepEqual(await messages(containerRestartPolicy, setProps(productionGraph(), "docstown-migrate", { restart: "on-failure" })), []);
  });
});

describe("container-log-rotation", () => {
  test("default json-file without options, json-file missing max-file, other drivers", async () => {
    assert.deepEqual(await messages(containerLogRotation, web({ logDriver: undefined })), [
      'container "docstown-web" uses the default json-file log driver without max-size and max-file in logOpts; its logs would grow without limit',
    ]);
    assert.deepEqual(await messages(containerLogRotation, web({ logDriver: "json-file", logOpts: { "max-size": "10m" } })), [
      'container "docstown-web" uses the json-file log driver without max-file in logOpts; its logs would grow without limit',
    ]);
    assert.deepEqual(await messages(containerLogRotation, web({ logDriver: "syslog" })), [
      'container "docstown-web" uses log driver "syslog"; use "local", "journald", or "json-file" with max-size and max-file',
    ]);
  });

  test("journald passes: the host caps the journal as a whole", async () => {
    assert.deepEqual(await messages(containerLogRotation, web({ logDriver: "journald", logOpts: { tag: "docstown-production" } })), []);
  });

  test("unknown options are skipped", async () => {
    assert.deepEqual(await messages(containerLogRotation, web({ logDriver: "json-file", logOpts: UNKNOWN_OBJECT })), []);
    assert.deepEqual(await messages(containerLogRotation, web({ logDriver: "json-file", logOpts: { "max-size": UNKNOWN_STRING, "max-file": "3" } })), []);
  });
});

describe("container-memory-limit", () => {
  test("unset or zero, for every role including migrate", async () => {
    const expected = ['container "docstown-migrate" has no memory limit; set memory (MB) so one container cannot exhaust the host'];
    assert.deepEqual(await messages(containerMemoryLimit, setProps(productionGraph(), "docstown-migrate", { memory: undefined })), expected);
    assert.deepEqual(await messages(containerMemoryLimit, setProps(productionGraph(), "docstown-migrate", { memory: 0 })), expected);
    assert.deepEqual(await messages(containerMemoryLimit, setProps(productionGraph(), "docstown-migrate", { memory: UNKNOWN_NUMBER })), []);
  });
});

describe("container-web-healthcheck", () => {
  test("web without healthcheck, with an empty or NONE test", async () => {
    const expected = ['container "docstown-web" (role web) has no healthcheck; traffic must only reach it once GET /up answers'];
    assert.deepEqual(await messages(containerWebHealthcheck, web({ healthcheck: undefined })), expected);
    assert.deepEqual(await messages(containerWebHealthcheck, web({ healthcheck: { tests: [] } })), expected);
    assert.deepEqual(await messages(containerWebHealthcheck, web({ healthcheck: { tests: ["NONE"] } })), expected);
  });

  test("other roles need none; unknown tests are skipped", async () => {
    assert.deepEqual(await messages(containerWebHealthcheck, setProps(productionGraph(), "docstown-worker", { healthcheck: undefined })), []);
    assert.deepEqual(await messages(containerWebHealthcheck, web({ healthcheck: { tests: UNKNOWN_ARRAY } })), []);
  });
});

describe("advisory container policies", () => {
  test("container-read-only-rootfs", async () => {
    const found = await violations(containerReadOnlyRootfs, web({ readOnly: false }));
    assert.deepEqual(found.map((v) => [v.enforcementLevel, v.message]), [
      ["advisory", 'container "docstown-web" has a writable root filesystem; set readOnly and mount the paths it writes (CIS Docker 5.12)'],
    ]);
  });

  test("container-no-new-privileges", async () => {
    assert.deepEqual(await messages(containerNoNewPrivileges, web({ securityOpts: ["seccomp=unconfined"] })), [
      'container "docstown-web" does not set securityOpts "no-new-privileges:true"; a setuid binary could gain privileges (CIS Docker 5.26)',
    ]);
    assert.deepEqual(await messages(containerNoNewPrivileges, web({ securityOpts: ["no-new-privileges"] })), []);
  });
});
