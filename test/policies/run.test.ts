import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as cloudflare from "@pulumi/cloudflare";
import * as digitalocean from "@pulumi/digitalocean";
import * as docker from "@pulumi/docker";
import { type PolicyResource, type ResourceValidationPolicy, type StackValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { allPolicies, enforcementLevel } from "../../policies/all";
import { runPolicies, runPolicyPack } from "../../policies/run";
import { TYPES } from "../../policies/values";
import { UNKNOWN_STRING, find, localGraph, productionGraph, setProps } from "./fixtures";

const POLICY_LEVELS: Record<string, "mandatory" | "advisory"> = {
  "persistent-volume-presence": "mandatory",
  "database-cluster-protected": "mandatory",
  "database-private-network": "mandatory",
  "database-firewall-restricted": "mandatory",
  "database-firewall-present": "mandatory",
  "replacement-name-reuse": "mandatory",
  "droplet-ssh-keys": "mandatory",
  "droplet-monitoring": "mandatory",
  "droplet-firewall-attached": "mandatory",
  "firewall-inbound-restricted": "mandatory",
  "load-balancer-no-plain-http-to-world": "mandatory",
  "load-balancer-firewall-cloudflare": "mandatory",
  "container-role-label": "mandatory",
  "container-image-digest": "mandatory",
  "container-not-privileged": "mandatory",
  "container-no-host-namespaces": "mandatory",
  "container-no-docker-socket": "mandatory",
  "container-no-sensitive-host-paths": "mandatory",
  "container-capabilities": "mandatory",
  "container-capability-names": "mandatory",
  "container-security-options": "mandatory",
  "container-no-host-devices": "mandatory",
  "container-upload-user": "mandatory",
  "container-volume-options": "mandatory",
  "container-restart-policy": "mandatory",
  "container-log-rotation": "mandatory",
  "container-memory-limit": "mandatory",
  "container-web-healthcheck": "mandatory",
  "container-read-only-rootfs": "advisory",
  "container-non-root": "mandatory",
  "container-no-new-privileges": "advisory",
  "container-secret-env-names": "advisory",
  "cloudflare-web-records-proxied": "mandatory",
  "cloudflare-known-resource-types": "mandatory",
  "cloudflare-ssl-strict": "mandatory",
  "cloudflare-min-tls": "mandatory",
  "cloudflare-always-https": "mandatory",
};

/** The class's type token (declared internal in the provider's .d.ts, present at run time). */
const tokenOf = (resourceClass: object): unknown => Reflect.get(resourceClass, "__pulumiType");

describe("the pack", () => {
  test("every policy: unique kebab-case name, a description, its documented level", () => {
    assert.equal(enforcementLevel, "mandatory");
    assert.equal(new Set(allPolicies.map((p) => p.name)).size, allPolicies.length);
    assert.deepEqual(Object.fromEntries(allPolicies.map((p) => [p.name, p.enforcementLevel])), POLICY_LEVELS);
    for (const p of allPolicies) {
      assert.match(p.name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
      assert.ok(p.description.length > 20, p.name);
    }
  });

  test("the type tokens are the provider classes' __pulumiType", () => {
    assert.equal(TYPES.droplet, tokenOf(digitalocean.Droplet));
    assert.equal(TYPES.volume, tokenOf(digitalocean.Volume));
    assert.equal(TYPES.volumeAttachment, tokenOf(digitalocean.VolumeAttachment));
    assert.equal(TYPES.firewall, tokenOf(digitalocean.Firewall));
    assert.equal(TYPES.databaseCluster, tokenOf(digitalocean.DatabaseCluster));
    assert.equal(TYPES.databaseFirewall, tokenOf(digitalocean.DatabaseFirewall));
    assert.equal(TYPES.container, tokenOf(docker.Container));
    assert.equal(TYPES.dockerVolume, tokenOf(docker.Volume));
    assert.equal(TYPES.dnsRecord, tokenOf(cloudflare.DnsRecord));
    assert.equal(TYPES.zoneSetting, tokenOf(cloudflare.ZoneSetting));
  });
});

describe("runPolicies end to end", () => {
  test("the compliant production graph: no violation at all", async () => {
    assert.deepEqual(await runPolicies(productionGraph()), []);
  });

  test("the compliant local graph: no mandatory violation (one advisory)", async () => {
    const found = await runPolicies(localGraph());
    assert.deepEqual(found.filter((v) => v.enforcementLevel === "mandatory"), []);
    assert.deepEqual(found.map((v) => v.policy), ["container-read-only-rootfs"]);
  });

  test("a broken graph reports each policy with its level and the resource's urn", async () => {
    const graph = setProps(productionGraph(), "docstown-web", { privileged: true, readOnly: false });
    const web = find(graph, "docstown-web");
    assert.deepEqual(await runPolicies(graph), [
      { policy: "container-not-privileged", enforcementLevel: "mandatory", urn: web.urn, message: 'container "docstown-web" runs privileged; a privileged container controls the host (CIS Docker 5.5)' },
      { policy: "container-read-only-rootfs", enforcementLevel: "advisory", urn: web.urn, message: 'container "docstown-web" has a writable root filesystem; set readOnly and mount the paths it writes (CIS Docker 5.12)' },
    ]);
  });

  test("findPlainSecretEnv runs for containers with recorded secret paths", async () => {
    const graph = productionGraph();
    find(graph, "docstown-worker").secretPaths = ["envs[1]", "envs[3]"];
    const noPaths = find(graph, "docstown-migrate");
    delete noPaths.secretPaths;
    assert.deepEqual(await runPolicies(graph), [
      {
        policy: "container-secret-env-values",
        enforcementLevel: "mandatory",
        urn: find(graph, "docstown-worker").urn,
        message: 'container "docstown-worker" env DATABASE_URL (envs[2]) is not a Pulumi secret; read it with config.requireSecret so it is encrypted in the state',
      },
    ]);
    const advisory = await runPolicies(graph, { "container-secret-env-values": "advisory" });
    assert.deepEqual(advisory.map((v) => v.enforcementLevel), ["advisory"]);
    assert.deepEqual(await runPolicies(graph, { "container-secret-env-values": "disabled" }), []);
  });

  test("every property of every resource unknown: no crash, and no policy trips over the unknowns", async () => {
    const graph = productionGraph();
    for (const r of graph) r.props = Object.fromEntries(Object.keys(r.props).map((k) => [k, UNKNOWN_STRING]));
    const found = await runPolicies(graph);
    assert.deepEqual(found.filter((v) => v.message.startsWith("can't run")), []);
  });

  test("every resource without props: no crash, and reported rather than passed", async () => {
    const graph = productionGraph();
    for (const r of graph) r.props = {};
    const found = await runPolicies(graph);
    assert.ok(found.some((v) => v.policy === "droplet-ssh-keys"));
    assert.ok(found.some((v) => v.policy === "persistent-volume-presence"));
    assert.ok(found.some((v) => v.policy === "container-image-digest"));
  });
});

describe("policy config, as the engine reconciles it", () => {
  const graph = () => setProps(productionGraph(), "docstown-web", { privileged: true });

  test("a level per policy, and `all`", async () => {
    assert.deepEqual(await runPolicies(graph(), { "container-not-privileged": "disabled" }), []);
    const advisory = await runPolicies(graph(), { "container-not-privileged": { enforcementLevel: "advisory" } });
    assert.deepEqual(advisory.map((v) => v.enforcementLevel), ["advisory"]);
    const remediate = await runPolicies(graph(), { all: "remediate" });
    assert.deepEqual(remediate.map((v) => v.enforcementLevel), ["mandatory"]);
  });

  test("mistakes are errors", async () => {
    await assert.rejects(runPolicies(graph(), { "container-not-privilegd": "advisory" }), /container-not-privilegd: no such policy/);
    await assert.rejects(runPolicies(graph(), { "container-not-privileged": "warn" }), /enforcementLevel must be one of/);
    await assert.rejects(runPolicies(graph(), { "container-not-privileged": { limit: 3 } }), /not a config property/);
  });
});

describe("argument objects, as CrossGuard builds them", () => {
  test("isType/asType work with the provider classes; SDK helpers run unchanged", async () => {
    const seen: string[] = [];
    const policy: ResourceValidationPolicy = {
      name: "probe",
      description: "probe",
      enforcementLevel: "advisory",
      validateResource: validateResourceOfType(digitalocean.Droplet, (droplet, args, report) => {
        seen.push(args.name);
        assert.equal(args.isType(digitalocean.Droplet), true);
        assert.equal(args.isType(docker.Container), false);
        assert.equal(args.asType(digitalocean.Droplet)?.size, "s-2vcpu-4gb");
        assert.equal(args.opts.protect, false);
        assert.equal(args.opts.deleteBeforeReplace, true);
        report(`size ${droplet.size}`);
      }),
    };
    const found = await runPolicyPack([policy], productionGraph());
    assert.deepEqual(seen, ["docstown-server-droplet"]);
    assert.deepEqual(found.map((v) => v.message), ["size s-2vcpu-4gb"]);
  });

  test("notApplicable ends the validation silently; an unknown read becomes one advisory", async () => {
    const policy: ResourceValidationPolicy = {
      name: "probe",
      description: "probe",
      enforcementLevel: "mandatory",
      validateResource: (args, report) => {
        if (args.type !== TYPES.container) args.notApplicable("containers only");
        report(`image ${String(args.props["image"])}`);
      },
    };
    const graph = setProps(productionGraph(), "docstown-worker", { image: UNKNOWN_STRING });
    const found = await runPolicyPack([policy], graph);
    assert.deepEqual(found.map((v) => [v.enforcementLevel, v.message]), [
      ["mandatory", `image ${find(graph, "docstown-web").props["image"] as string}`],
      ["advisory", "can't run policy 'probe' from policy pack 'docstown' during preview: string value at .image can't be known during preview"],
      ["mandatory", `image ${find(graph, "docstown-migrate").props["image"] as string}`],
      ["mandatory", `image ${find(graph, "docstown-proxy").props["image"] as string}`],
    ]);
  });

  test("other errors fail the run, as they fail a preview", async () => {
    const policy: StackValidationPolicy = {
      name: "probe",
      description: "probe",
      validateStack: () => {
        throw new Error("boom");
      },
    };
    await assert.rejects(runPolicyPack([policy], productionGraph()), /Error validating stack with policy 'probe' from policy pack 'docstown': boom/);
  });

  test("stack resources: parent, provider, dependencies and propertyDependencies resolved to resources", async () => {
    let resources: PolicyResource[] = [];
    const policy: StackValidationPolicy = {
      name: "probe",
      description: "probe",
      validateStack: (args) => {
        resources = args.resources;
        assert.deepEqual(args.getConfig(), {});
      },
    };
    await runPolicyPack([policy], productionGraph());
    const byName = (name: string) => resources.find((r) => r.name === name);
    const web = byName("docstown-web");
    const attachment = byName("docstown-repos-attachment");
    assert.equal(web?.parent, byName("docstown"));
    assert.equal(web?.provider?.type, "pulumi:providers:docker");
    assert.equal(web?.provider?.name, "docstown-docker");
    assert.equal(web?.provider?.props["host"], "ssh://deploy@203.0.113.10");
    assert.equal(attachment?.propertyDependencies["dropletId"]?.[0], byName("docstown-server-droplet"));
    assert.deepEqual(attachment?.dependencies.map((d) => d.name).sort(), ["docstown-repos-volume", "docstown-server-droplet"]);
    assert.equal(byName("docstown-repos-volume")?.opts.protect, true);
    assert.equal(byName("docstown-server-droplet")?.isType(digitalocean.Droplet), true);
  });

  test("config reaches getConfig with the schema's defaults filled in", async () => {
    const configs: object[] = [];
    const probe = (name: string): StackValidationPolicy => ({
      name,
      description: "probe",
      configSchema: { properties: { mountPath: { type: "string", default: "/data/repos" }, minVolumeSizeGb: { type: "integer", default: 10 } } },
      validateStack: (args) => {
        configs.push(args.getConfig());
      },
    });
    await runPolicyPack([probe("probe")], [], { probe: { minVolumeSizeGb: 20 } });
    assert.deepEqual(configs, [{ mountPath: "/data/repos", minVolumeSizeGb: 20 }]);
  });
});
