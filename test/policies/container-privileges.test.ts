import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { containerNoSensitiveHostPaths, sensitiveHostPath } from "../../policies/container-host-paths";
import {
  containerCapabilities,
  containerNoHostDevices,
  containerNonRoot,
  containerSecurityOptions,
  effectiveCapabilities,
  isConfinedOwnerStep,
  isRootUser,
  unconfiningSecurityOpt,
} from "../../policies/container-privileges";
import { UNKNOWN_ARRAY, UNKNOWN_OBJECT, UNKNOWN_STRING, find, localGraph, messages, productionGraph, setProps, violations } from "./fixtures";

/** Each test starts from a compliant fixture and breaks one property. */

const web = (props: Record<string, unknown>) => setProps(productionGraph(), "docstown-web", props);
const proxy = (props: Record<string, unknown>) => setProps(productionGraph(), "docstown-proxy", props);
const reposOwner = (props: Record<string, unknown>) => setProps(localGraph(), "docstown-repos-owner", props);
const proxyDataOwner = (props: Record<string, unknown>) => setProps(localGraph(), "docstown-proxy-data-owner", props);

describe("container-capabilities", () => {
  test("Docker's arithmetic: ALL added wins, ALL dropped keeps the adds, else the defaults; names in the read-back form", () => {
    assert.deepEqual(effectiveCapabilities(["ALL"], ["ALL"]), ["ALL"]);
    assert.deepEqual(effectiveCapabilities(["cap_chown", "CHOWN", "CAP_CHOWN"], ["all"]), ["CAP_CHOWN"]);
    assert.deepEqual(effectiveCapabilities([], ["NET_RAW"]).length, 13);
    assert.deepEqual(effectiveCapabilities([], ["CAP_NET_RAW"]).length, 13);
    assert.deepEqual(effectiveCapabilities([], []).includes("CAP_DAC_OVERRIDE"), true);
  });

  test("compliant graphs pass: proxy with CAP_NET_BIND_SERVICE or without, both owner steps with CAP_CHOWN", async () => {
    assert.deepEqual(await messages(containerCapabilities, productionGraph()), []);
    assert.deepEqual(await messages(containerCapabilities, localGraph()), []);
    assert.deepEqual(await messages(containerCapabilities, proxy({ capabilities: { drops: ["ALL"] } })), []);
  });

  test("every capability added", async () => {
    const found = await violations(containerCapabilities, web({ capabilities: { drops: ["ALL"], adds: ["ALL"] } }));
    assert.deepEqual(found.map((v) => [v.enforcementLevel, v.message]), [
      ["mandatory", 'container "docstown-web" holds every capability; set capabilities.drops ["ALL"] and add back only what its role needs (none) (CIS Docker 5.3)'],
    ]);
  });

  test("one capability beyond the role's", async () => {
    assert.deepEqual(await messages(containerCapabilities, web({ capabilities: { drops: ["ALL"], adds: ["CAP_SYS_ADMIN"] } })), [
      'container "docstown-web" holds capabilities CAP_SYS_ADMIN; set capabilities.drops ["ALL"] and add back only what its role needs (none) (CIS Docker 5.3)',
    ]);
    assert.deepEqual(await messages(containerCapabilities, proxy({ capabilities: { drops: ["ALL"], adds: ["CAP_NET_BIND_SERVICE", "CAP_NET_ADMIN"] } })), [
      'container "docstown-proxy" holds capabilities CAP_NET_ADMIN; set capabilities.drops ["ALL"] and add back only what its role needs (CAP_NET_BIND_SERVICE) (CIS Docker 5.3)',
    ]);
  });

  test("CAP_NET_BIND_SERVICE is the proxy's alone; CAP_CHOWN the owner steps' alone", async () => {
    assert.deepEqual(await messages(containerCapabilities, web({ capabilities: { drops: ["ALL"], adds: ["CAP_NET_BIND_SERVICE"] } })), [
      'container "docstown-web" holds capabilities CAP_NET_BIND_SERVICE; set capabilities.drops ["ALL"] and add back only what its role needs (none) (CIS Docker 5.3)',
    ]);
    const migrate = setProps(productionGraph(), "docstown-migrate", { capabilities: { drops: ["ALL"], adds: ["CAP_CHOWN"] } });
    assert.deepEqual(await messages(containerCapabilities, migrate), [
      'container "docstown-migrate" holds capabilities CAP_CHOWN; set capabilities.drops ["ALL"] and add back only what its role needs (none) (CIS Docker 5.3)',
    ]);
    const otherStep = setProps(localGraph(), "docstown-proxy-data-owner", {
      labels: [{ label: "docstown.role", value: "migrate" }, { label: "docstown.step", value: "certs-owner" }],
    });
    assert.deepEqual(await messages(containerCapabilities, otherStep), [
      'container "docstown-proxy-data-owner" holds capabilities CAP_CHOWN; set capabilities.drops ["ALL"] and add back only what its role needs (none) (CIS Docker 5.3)',
    ]);
  });

  test("the allow-list reads any spelling Docker accepts", async () => {
    assert.deepEqual(await messages(containerCapabilities, proxy({ capabilities: { drops: ["all"], adds: ["net_bind_service"] } })), []);
    assert.deepEqual(await messages(containerCapabilities, reposOwner({ capabilities: { drops: ["ALL"], adds: ["CHOWN"] } })), []);
  });

  test("no capabilities setting keeps Docker's 14 defaults", async () => {
    const [message] = await messages(containerCapabilities, web({ capabilities: undefined }));
    assert.match(message ?? "", /^container "docstown-web" holds capabilities CAP_CHOWN, CAP_DAC_OVERRIDE, .*CAP_AUDIT_WRITE;/);
  });

  test("unknown capabilities are skipped", async () => {
    assert.deepEqual(await messages(containerCapabilities, web({ capabilities: UNKNOWN_OBJECT })), []);
    assert.deepEqual(await messages(containerCapabilities, web({ capabilities: { drops: ["ALL"], adds: UNKNOWN_ARRAY } })), []);
  });
});

describe("container-security-options", () => {
  test("each option that switches a confinement off, in both separators", () => {
    for (const opt of ["seccomp=unconfined", "seccomp:unconfined", "apparmor=unconfined", "apparmor:unconfined", "label=disable", "label:disable", "disable", "label=type:spc_t", "systempaths=unconfined", "writable-cgroups=true"]) {
      assert.notEqual(unconfiningSecurityOpt(opt), undefined, opt);
    }
    for (const opt of ["no-new-privileges:true", "no-new-privileges", "apparmor=docker-default", "seccomp=/etc/docker/seccomp.json", "label=level:s0:c100,c200"]) {
      assert.equal(unconfiningSecurityOpt(opt), undefined, opt);
    }
  });

  test("compliant graphs pass", async () => {
    assert.deepEqual(await messages(containerSecurityOptions, productionGraph()), []);
    assert.deepEqual(await messages(containerSecurityOptions, localGraph()), []);
  });

  test("seccomp, AppArmor, SELinux and masked paths switched off", async () => {
    const graph = web({ securityOpts: ["no-new-privileges:true", "seccomp=unconfined", "apparmor:unconfined", "label=disable", "systempaths=unconfined"] });
    const found = await violations(containerSecurityOptions, graph);
    assert.deepEqual(found.map((v) => [v.enforcementLevel, v.message]), [
      ["mandatory", 'container "docstown-web" sets securityOpts "seccomp=unconfined" (no seccomp profile); remove it, a breakout then needs one kernel bug less'],
      ["mandatory", 'container "docstown-web" sets securityOpts "apparmor:unconfined" (no AppArmor profile); remove it, a breakout then needs one kernel bug less'],
      ["mandatory", 'container "docstown-web" sets securityOpts "label=disable" (SELinux confinement off); remove it, a breakout then needs one kernel bug less'],
      ["mandatory", 'container "docstown-web" sets securityOpts "systempaths=unconfined" (/proc and /sys paths unmasked); remove it, a breakout then needs one kernel bug less'],
    ]);
  });

  test("unknown options are skipped one by one", async () => {
    assert.deepEqual(await messages(containerSecurityOptions, web({ securityOpts: UNKNOWN_ARRAY })), []);
    assert.deepEqual(await messages(containerSecurityOptions, web({ securityOpts: [UNKNOWN_STRING, "seccomp=unconfined"] })), [
      'container "docstown-web" sets securityOpts "seccomp=unconfined" (no seccomp profile); remove it, a breakout then needs one kernel bug less',
    ]);
  });
});

describe("container-no-host-devices", () => {
  test("compliant graphs pass", async () => {
    assert.deepEqual(await messages(containerNoHostDevices, productionGraph()), []);
    assert.deepEqual(await messages(containerNoHostDevices, localGraph()), []);
  });

  test("a device, cgroup device rules, device requests, gpus", async () => {
    assert.deepEqual(await messages(containerNoHostDevices, web({ devices: [{ hostPath: "/dev/sda", containerPath: "/dev/sda", permissions: "rwm" }] })), [
      'container "docstown-web" is given host device devices[0] (/dev/sda); a device node reaches the host\'s hardware and kernel below the container (CIS Docker 5.17)',
    ]);
    assert.deepEqual(await messages(containerNoHostDevices, web({ deviceCgroupRules: ["c *:* rwm"] })), [
      'container "docstown-web" sets deviceCgroupRules; it opens host devices to the container (CIS Docker 5.17)',
    ]);
    assert.deepEqual(await messages(containerNoHostDevices, web({ deviceRequests: [{ count: -1, capabilities: ["gpu"] }] })), [
      'container "docstown-web" sets deviceRequests; it opens host devices to the container (CIS Docker 5.17)',
    ]);
    assert.deepEqual(await messages(containerNoHostDevices, web({ gpus: "all" })), [
      'container "docstown-web" sets gpus "all"; it opens host devices to the container (CIS Docker 5.17)',
    ]);
  });

  test("an unknown list is skipped; an empty one is fine", async () => {
    assert.deepEqual(await messages(containerNoHostDevices, web({ devices: UNKNOWN_ARRAY, deviceCgroupRules: [] })), []);
  });
});

describe("container-no-sensitive-host-paths", () => {
  test("at, under or above a system directory; /data/repos and app directories are fine", () => {
    const cases: [string, string][] = [["/", "/"], ["//", "/"], ["/etc", "/etc"], ["/etc/", "/etc"], ["/etc/shadow", "/etc"], ["/var", "/var/spool"], ["/var/lib", "/var/lib/docker"], ["/var/lib/docker/volumes", "/var/lib/docker"], ["/proc/1/root", "/proc"], ["/root/.ssh", "/root"], ["/home/deploy/.ssh", "/home"], ["/boot", "/boot"], ["/dev", "/dev"], ["/usr/bin", "/usr"], ["/sys/fs/cgroup", "/sys"], ["/var/spool/cron", "/var/spool"], ["/run/containerd", "/run"]];
    for (const [path, dir] of cases) {
      assert.equal(sensitiveHostPath(path), dir, path);
    }
    for (const path of ["/data/repos", "/data", "/srv/docstown", "/opt/app", "/var/lib/docstown", "/mnt/volume_fra1_01", "/etcetera"]) {
      assert.equal(sensitiveHostPath(path), undefined, path);
    }
  });

  test("compliant graphs pass (the /data/repos host mount included)", async () => {
    assert.deepEqual(await messages(containerNoSensitiveHostPaths, productionGraph()), []);
    assert.deepEqual(await messages(containerNoSensitiveHostPaths, localGraph()), []);
  });

  test("a volume of /etc, a bind mount of /, a bind-type volume mount of /root", async () => {
    const graph = web({
      volumes: [{ hostPath: "/data/repos", containerPath: "/data/repos" }, { hostPath: "/etc", containerPath: "/host-etc", readOnly: true }],
      mounts: [
        { type: "bind", source: "/", target: "/host" },
        { type: "volume", target: "/keys", volumeOptions: { driverOptions: { type: "none", o: "bind", device: "/root/.ssh" } } },
      ],
    });
    const found = await violations(containerNoSensitiveHostPaths, graph);
    assert.deepEqual(found.map((v) => [v.enforcementLevel, v.message]), [
      ["mandatory", 'container "docstown-web" binds host path "/etc" through volumes[1]; it hands the container the host\'s system files, mount an app directory such as /data/repos instead (CIS Docker 5.5)'],
      ["mandatory", 'container "docstown-web" binds host path "/" through mounts[0]; it hands the container the host\'s whole filesystem, mount an app directory such as /data/repos instead (CIS Docker 5.5)'],
      ["mandatory", 'container "docstown-web" binds host path "/root/.ssh" (in /root) through mounts[1].volumeOptions; it hands the container the host\'s system files, mount an app directory such as /data/repos instead (CIS Docker 5.5)'],
    ]);
  });

  test("a local Docker volume that binds a system directory", async () => {
    const graph = setProps(localGraph(), "docstown-repos", { driverOpts: { type: "none", o: "bind", device: "/etc" } });
    assert.deepEqual(await messages(containerNoSensitiveHostPaths, graph), [
      'Docker volume "docstown-repos" binds host path "/etc" through driverOpts; it hands the container the host\'s system files, mount an app directory such as /data/repos instead (CIS Docker 5.5)',
    ]);
    assert.deepEqual(await messages(containerNoSensitiveHostPaths, setProps(localGraph(), "docstown-repos", { driverOpts: { type: "none", o: "bind", device: "/srv/repos" } })), []);
  });

  test("named volumes and unknown sources are not host paths", async () => {
    assert.deepEqual(await messages(containerNoSensitiveHostPaths, web({ volumes: [{ volumeName: "etc", containerPath: "/etc" }], mounts: [{ type: "bind", source: UNKNOWN_STRING, target: "/x" }] })), []);
  });
});

describe("container-non-root", () => {
  test("root in every spelling", () => {
    for (const user of ["0", "0:0", "root", "root:root", "root:1000", "00", " 0 "]) assert.equal(isRootUser(user), true, user);
    for (const user of ["1000", "1000:0", "65534:65534", "postgres", "10"]) assert.equal(isRootUser(user), false, user);
  });

  test("compliant graphs pass, the confined owner steps included", async () => {
    assert.deepEqual(await messages(containerNonRoot, productionGraph()), []);
    assert.deepEqual(await messages(containerNonRoot, localGraph()), []);
    assert.equal(isConfinedOwnerStep(find(localGraph(), "docstown-repos-owner").props), true);
    assert.equal(isConfinedOwnerStep(find(localGraph(), "docstown-proxy-data-owner").props), true);
    assert.equal(isConfinedOwnerStep(find(reposOwner({ capabilities: { drops: ["ALL"], adds: ["CHOWN"] } }), "docstown-repos-owner").props), true, "CHOWN spelled without CAP_");
  });

  test("user 0:0, root, and no user are mandatory violations", async () => {
    const found = await violations(containerNonRoot, web({ user: "0:0" }));
    assert.deepEqual(found.map((v) => [v.enforcementLevel, v.message]), [
      ["mandatory", 'container "docstown-web" runs as root (user "0:0"); set a non-root uid such as "1000" (CIS Docker 4.1)'],
    ]);
    assert.deepEqual(await messages(containerNonRoot, web({ user: "root" })), [
      'container "docstown-web" runs as root (user "root"); set a non-root uid such as "1000" (CIS Docker 4.1)',
    ]);
    assert.deepEqual(await messages(containerNonRoot, proxy({ user: undefined })), [
      'container "docstown-proxy" sets no user, so it runs as the image\'s user (often root); set a non-root uid such as "1000" (CIS Docker 4.1)',
    ]);
  });

  test("the step label alone opens nothing: root needs CAP_CHOWN only, no network, a read-only root, no-new-privileges", async () => {
    const refused = (props: Record<string, unknown>) => messages(containerNonRoot, reposOwner(props));
    const expected = [
      'container "docstown-repos-owner" (step repos-owner) runs as root (user "0:0") without the confinement that allows it: ' +
        'capabilities only CAP_CHOWN, networkMode "none", readOnly, securityOpts "no-new-privileges:true"',
    ];
    assert.deepEqual(await refused({ capabilities: { drops: ["ALL"], adds: ["CAP_CHOWN", "CAP_DAC_OVERRIDE"] } }), expected);
    assert.deepEqual(await refused({ capabilities: undefined }), expected);
    assert.deepEqual(await refused({ networkMode: undefined, networksAdvanced: [{ name: "docstown" }] }), expected);
    assert.deepEqual(await refused({ readOnly: false }), expected);
    assert.deepEqual(await refused({ securityOpts: [] }), expected);
    assert.deepEqual(await refused({ privileged: true }), expected);
    assert.deepEqual(await messages(containerNonRoot, proxyDataOwner({ networkMode: undefined, networksAdvanced: [{ name: "docstown" }] })), [
      'container "docstown-proxy-data-owner" (step proxy-data-owner) runs as root (user "0:0") without the confinement that allows it: ' +
        'capabilities only CAP_CHOWN, networkMode "none", readOnly, securityOpts "no-new-privileges:true"',
    ]);
  });

  test("only the two owner steps: another step name on a root container is plain root", async () => {
    const graph = proxyDataOwner({ labels: [{ label: "docstown.role", value: "migrate" }, { label: "docstown.step", value: "certs-owner" }] });
    assert.deepEqual(await messages(containerNonRoot, graph), [
      'container "docstown-proxy-data-owner" runs as root (user "0:0"); set a non-root uid such as "1000" (CIS Docker 4.1)',
    ]);
  });

  test("a root container labelled repos-owner with another role is plain root", async () => {
    const graph = reposOwner({ labels: [{ label: "docstown.role", value: "web" }, { label: "docstown.step", value: "repos-owner" }] });
    assert.deepEqual(await messages(containerNonRoot, graph), [
      'container "docstown-repos-owner" runs as root (user "0:0"); set a non-root uid such as "1000" (CIS Docker 4.1)',
    ]);
  });

  test("an unknown user is skipped", async () => {
    assert.deepEqual(await messages(containerNonRoot, web({ user: UNKNOWN_STRING })), []);
  });
});
