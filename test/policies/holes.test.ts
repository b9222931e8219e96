import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { allPolicies } from "../../policies/all";
import { type RecordedPolicyResource, runPolicyPack } from "../../policies/run";
import { ZONE_ID, find, localGraph, productionGraph, setProps } from "./fixtures";

/**
 * The whole pack on the compliant production graph with one property broken: each of these once
 * passed with no mandatory violation (container-not-privileged read only `privileged`, the
 * Cloudflare policies read only DnsRecord and ZoneSetting).
 */

async function mandatoryPolicies(graph: RecordedPolicyResource[]): Promise<string[]> {
  const found = await runPolicyPack(allPolicies, graph);
  return [...new Set(found.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policy))];
}

const web = (props: Record<string, unknown>) => setProps(productionGraph(), "docstown-web", props);

function withResource(type: string, name: string, props: Record<string, unknown>): RecordedPolicyResource[] {
  const graph = productionGraph();
  const like = find(graph, "docstown-apex");
  graph.push({ ...like, type, name, urn: like.urn.replace("cloudflare:index/dnsRecord:DnsRecord::docstown-apex", `${type}::${name}`), props });
  return graph;
}

const holes: [string, () => RecordedPolicyResource[], string][] = [
  ["a container adding every capability", () => web({ capabilities: { adds: ["ALL"] } }), "container-capabilities"],
  ["a container adding SYS_ADMIN", () => web({ capabilities: { drops: ["ALL"], adds: ["SYS_ADMIN"] } }), "container-capabilities"],
  ["seccomp unconfined", () => web({ securityOpts: ["no-new-privileges:true", "seccomp=unconfined"] }), "container-security-options"],
  ["AppArmor unconfined", () => web({ securityOpts: ["no-new-privileges:true", "apparmor=unconfined"] }), "container-security-options"],
  ["a host device", () => web({ devices: [{ hostPath: "/dev/sda", containerPath: "/dev/sda", permissions: "rwm" }] }), "container-no-host-devices"],
  ["a bind mount of /etc", () => web({ volumes: [{ hostPath: "/data/repos", containerPath: "/data/repos" }, { hostPath: "/etc", containerPath: "/host-etc" }] }), "container-no-sensitive-host-paths"],
  ["a bind mount of /", () => web({ mounts: [{ type: "bind", source: "/", target: "/host" }] }), "container-no-sensitive-host-paths"],
  ["user 0:0", () => web({ user: "0:0" }), "container-non-root"],
  ["an unproxied A record of the cloudflare.Record type", () =>
    withResource("cloudflare:index/record:Record", "docstown-legacy-apex", { zoneId: ZONE_ID, name: "docstown.org", type: "A", content: "203.0.113.10", proxied: false, ttl: 1 }),
    "cloudflare-web-records-proxied"],
  ["a PageRule setting ssl flexible", () =>
    withResource("cloudflare:index/pageRule:PageRule", "docstown-flexible", { zoneId: ZONE_ID, target: "docstown.org/*", actions: { ssl: "flexible" } }),
    "cloudflare-ssl-strict"],
  ["a Ruleset setting ssl flexible", () =>
    withResource("cloudflare:index/ruleset:Ruleset", "docstown-config", {
      zoneId: ZONE_ID, name: "config", kind: "zone", phase: "http_config_settings",
      rules: [{ action: "set_config", expression: "true", actionParameters: { ssl: "flexible" } }],
    }),
    "cloudflare-ssl-strict"],
  // Beyond the list, the same classes of hole:
  ["a container with Docker's default capabilities (nothing dropped)", () => web({ capabilities: undefined }), "container-capabilities"],
  ["SELinux labelling disabled", () => web({ securityOpts: ["no-new-privileges:true", "label=disable"] }), "container-security-options"],
  ["/proc and /sys unmasked", () => web({ securityOpts: ["no-new-privileges:true", "systempaths=unconfined"] }), "container-security-options"],
  ["a device cgroup rule", () => web({ deviceCgroupRules: ["b 8:* rmw"] }), "container-no-host-devices"],
  ["a local Docker volume binding /etc", () => setProps(localGraph(), "docstown-repos", { driverOpts: { type: "none", o: "bind", device: "/etc" } }), "container-no-sensitive-host-paths"],
  ["a container with no user", () => web({ user: undefined }), "container-non-root"],
  ["the repos-owner label on a root container with DAC_OVERRIDE", () =>
    setProps(localGraph(), "docstown-repos-owner", { capabilities: { drops: ["ALL"], adds: ["CHOWN", "DAC_OVERRIDE"] } }), "container-non-root"],
  // Seen only through the real plugin and daemon (issue 18): a create that fails, a replacement on every up.
  ["the proxy's user as uid:gid beside its uploads", () => setProps(productionGraph(), "docstown-proxy", { user: "65534:65534" }), "container-upload-user"],
  ["a capability without the CAP_ prefix", () =>
    setProps(productionGraph(), "docstown-proxy", { capabilities: { drops: ["ALL"], adds: ["NET_BIND_SERVICE"] } }), "container-capability-names"],
  ["a HostnameTlsSetting lowering min_tls_version to 1.0", () =>
    withResource("cloudflare:index/hostnameTlsSetting:HostnameTlsSetting", "docstown-host-tls", { zoneId: ZONE_ID, hostname: "docstown.org", settingId: "min_tls_version", value: "1.0" }),
    "cloudflare-min-tls"],
  ["an unproxied load balancer hostname", () =>
    withResource("cloudflare:index/loadBalancer:LoadBalancer", "docstown-lb", { zoneId: ZONE_ID, name: "docstown.org", proxied: false, defaultPools: ["p"], fallbackPool: "p" }),
    "cloudflare-known-resource-types"],
];

describe("policy holes: each breakage draws a mandatory violation from the pack", () => {
  test("the compliant graphs have none", async () => {
    assert.deepEqual(await mandatoryPolicies(productionGraph()), []);
    assert.deepEqual(await mandatoryPolicies(localGraph()), []);
  });

  for (const [title, build, policy] of holes) {
    test(`${title} -> ${policy}`, async () => {
      const found = await mandatoryPolicies(build());
      assert.ok(found.includes(policy), `expected a mandatory ${policy} violation, got ${JSON.stringify(found)}`);
    });
  }
});
