import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Policies } from "@pulumi/policy";
import { DEFAULT_BROADEST_PREFIX } from "../../policies/cidr";
import { cloudflareKnownResourceTypes } from "../../policies/cloudflare";
import { CLOUDFLARE_IPV4_RANGES, CLOUDFLARE_IPV6_RANGES, CLOUDFLARE_RANGES } from "../../policies/cloudflare-ranges";
import { KNOWN_CLOUDFLARE_TYPES } from "../../policies/cloudflare-types";
import { containerNonRoot } from "../../policies/container-privileges";
import { firewallInboundRestricted } from "../../policies/droplet";
import { type RecordedPolicyResource, runPolicyPack } from "../../policies/run";
import { edgeSourceFindings, narrowSourceFindings } from "../../policies/sources";

/**
 * Bugs each of which, planted alone in the pack's safety features, left the whole suite green
 * (issue 19, point 9). Every test here fails with its bug planted. Fixtures are built here, as
 * small as the rule under test allows.
 */

function resource(type: string, name: string, props: Record<string, unknown>): RecordedPolicyResource {
  return { urn: `urn:pulumi:production::docstown::${type}::${name}`, type, name, props, opts: {}, dependencies: [], propertyDependencies: {} };
}

async function messages(policy: Policies[number], resources: RecordedPolicyResource[]): Promise<string[]> {
  return (await runPolicyPack([policy], resources)).map((v) => v.message);
}

describe("SSH and database sources: the union is judged for IPv6 too (policies/sources.ts)", () => {
  // Two /48s, each as wide as allowed: together twice what one /48 admits.
  const twoSlash48 = ["2001:db8::/48", "2001:db8:1::/48"];

  test("the default limit is /48 for IPv6, so each network alone passes", () => {
    assert.equal(DEFAULT_BROADEST_PREFIX.ipv6, 48);
    for (const source of twoSlash48) assert.deepEqual(narrowSourceFindings([source], DEFAULT_BROADEST_PREFIX), []);
  });

  test("together they are refused", () => {
    const findings = narrowSourceFindings(twoSlash48, DEFAULT_BROADEST_PREFIX);
    assert.deepEqual(findings, [{ kind: "union", version: 6, count: 2n << 80n, limit: 1n << 80n, prefix: 48, whole: false }]);
  });

  test("IPv4 sources beside them change nothing", () => {
    const findings = narrowSourceFindings(["203.0.113.10/32", ...twoSlash48], DEFAULT_BROADEST_PREFIX);
    assert.deepEqual(findings.map((f) => f.kind === "union" && f.version), [6]);
  });

  test("the firewall policy refuses them on SSH, in one rule or spread over two", async () => {
    const union =
      'firewall "fw" inbound rules covering SSH (tcp 22) together admit 2417851639229258349412352 IPv6 addresses, more than one /48 ' +
      "(1208925819614629174706176) (policy config broadestIpv6Prefix)";
    const oneRule = resource("digitalocean:index/firewall:Firewall", "fw", {
      inboundRules: [{ protocol: "tcp", portRange: "22", sourceAddresses: twoSlash48 }],
    });
    assert.deepEqual(await messages(firewallInboundRestricted, [oneRule]), [union]);
    const twoRules = resource("digitalocean:index/firewall:Firewall", "fw", {
      inboundRules: twoSlash48.map((source) => ({ protocol: "tcp", portRange: "22", sourceAddresses: [source] })),
    });
    assert.deepEqual(await messages(firewallInboundRestricted, [twoRules]), [union]);
  });
});

describe("Cloudflare's ranges: the pack's copy is the published list (policies/cloudflare-ranges.ts)", () => {
  // https://www.cloudflare.com/ips-v4 and /ips-v6, in Cloudflare's order (unchanged since September 2023).
  const PUBLISHED_V4 = [
    "173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22", "141.101.64.0/18",
    "108.162.192.0/18", "190.93.240.0/20", "188.114.96.0/20", "197.234.240.0/22", "198.41.128.0/17",
    "162.158.0.0/15", "104.16.0.0/13", "104.24.0.0/14", "172.64.0.0/13", "131.0.72.0/22",
  ];
  const PUBLISHED_V6 = [
    "2400:cb00::/32", "2606:4700::/32", "2803:f800::/32", "2405:b500::/32", "2405:8100::/32", "2a06:98c0::/29", "2c0f:f248::/32",
  ];

  test("pinned entry by entry: a widened, added or dropped range fails here", () => {
    assert.deepEqual(CLOUDFLARE_IPV4_RANGES, PUBLISHED_V4);
    assert.deepEqual(CLOUDFLARE_IPV6_RANGES, PUBLISHED_V6);
    assert.deepEqual(CLOUDFLARE_RANGES, [...PUBLISHED_V4, ...PUBLISHED_V6]);
  });

  test("the networks just beyond the /29 and just beyond the IPv4 /13 are outside", () => {
    assert.deepEqual(edgeSourceFindings(["2a06:98c0::/29", "2a06:98c8::/29", "2a06:98b8::/29"], CLOUDFLARE_RANGES), [
      { kind: "outside", index: 1, value: "2a06:98c8::/29" },
      { kind: "outside", index: 2, value: "2a06:98b8::/29" },
    ]);
    assert.deepEqual(edgeSourceFindings(["104.16.0.0/13", "104.8.0.0/13", "104.28.0.0/14"], CLOUDFLARE_RANGES), [
      { kind: "outside", index: 1, value: "104.8.0.0/13" },
      { kind: "outside", index: 2, value: "104.28.0.0/14" },
    ]);
  });

  test("the firewall policy, with its default ranges, refuses 2a06:98c8::/29 on 443", async () => {
    const fw = resource("digitalocean:index/firewall:Firewall", "fw", {
      inboundRules: [{ protocol: "tcp", portRange: "443", sourceAddresses: ["2a06:98c0::/29", "2a06:98c8::/29"] }],
    });
    const found = await messages(firewallInboundRestricted, [fw]);
    assert.equal(found.length, 1, found.join("\n"));
    assert.match(found[0] ?? "", /^firewall "fw" inbound rule tcp 443 .*2a06:98c8::\/29/);
    assert.doesNotMatch(found[0] ?? "", /2a06:98c0::\/29/);
  });
});

describe("the repos-owner step's root needs no-new-privileges switched on (policies/container-privileges.ts)", () => {
  const TYPE = "docker:index/container:Container";
  /** The repos-owner step as the policy allows it to run as root; capabilities spelled as Docker accepts them. */
  const confined = (securityOpts: string[]) =>
    resource(TYPE, "docstown-repos-owner", {
      image: `alpine@sha256:${"ab".repeat(32)}`,
      user: "0:0",
      labels: [
        { label: "docstown.role", value: "migrate" },
        { label: "docstown.step", value: "repos-owner" },
      ],
      capabilities: { drops: ["ALL"], adds: ["CHOWN"] },
      networkMode: "none",
      readOnly: true,
      securityOpts,
    });

  test("the fixture is compliant: no-new-privileges on, in each accepted spelling", async () => {
    for (const opt of ["no-new-privileges:true", "no-new-privileges=true", "no-new-privileges", "NO-NEW-PRIVILEGES:TRUE"]) {
      assert.deepEqual(await messages(containerNonRoot, [confined([opt])]), [], opt);
    }
  });

  test("no-new-privileges:false, =false, or absent does not confine it", async () => {
    for (const opts of [["no-new-privileges:false"], ["no-new-privileges=false"], ["No-New-Privileges:FALSE"], ["no-new-privileges:"], ["no-new-privileges-ish"], []]) {
      const found = await messages(containerNonRoot, [confined(opts)]);
      assert.equal(found.length, 1, `securityOpts ${JSON.stringify(opts)}: ${found.join("\n")}`);
      assert.match(found[0] ?? "", /^container "docstown-repos-owner" \(step repos-owner\) runs as root .*without the confinement/);
    }
  });
});

describe("Cloudflare resource types: nothing that publishes a hostname is known (policies/cloudflare-types.ts)", () => {
  // The list as judged: a type added to it must be judged again, and this pin updated with it.
  const JUDGED = [
    "cloudflare:index/authenticatedOriginPulls:AuthenticatedOriginPulls",
    "cloudflare:index/authenticatedOriginPullsCertificate:AuthenticatedOriginPullsCertificate",
    "cloudflare:index/authenticatedOriginPullsHostnameCertificate:AuthenticatedOriginPullsHostnameCertificate",
    "cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings",
    "cloudflare:index/dnsRecord:DnsRecord",
    "cloudflare:index/hostnameTlsSetting:HostnameTlsSetting",
    "cloudflare:index/originCaCertificate:OriginCaCertificate",
    "cloudflare:index/pageRule:PageRule",
    "cloudflare:index/record:Record",
    "cloudflare:index/ruleset:Ruleset",
    "cloudflare:index/zone:Zone",
    "cloudflare:index/zoneDnssec:ZoneDnssec",
    "cloudflare:index/zoneSetting:ZoneSetting",
  ];

  // Types that put a hostname on Cloudflare's edge outside DNS records the pack checks.
  const PUBLISHING = [
    "cloudflare:index/customHostname:CustomHostname",
    "cloudflare:index/customHostnameFallbackOrigin:CustomHostnameFallbackOrigin",
    "cloudflare:index/loadBalancer:LoadBalancer",
    "cloudflare:index/spectrumApplication:SpectrumApplication",
    "cloudflare:index/workersCustomDomain:WorkersCustomDomain",
    "cloudflare:index/workersRoute:WorkersRoute",
    "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig",
  ];

  test("the known list is pinned", () => {
    assert.deepEqual([...KNOWN_CLOUDFLARE_TYPES].sort(), JUDGED);
  });

  test("types that publish a hostname are not in it, and the pack refuses them", async () => {
    for (const type of PUBLISHING) assert.ok(!KNOWN_CLOUDFLARE_TYPES.has(type), `${type} is in KNOWN_CLOUDFLARE_TYPES`);
    const resources = PUBLISHING.map((type, i) => resource(type, `r${i}`, {}));
    const found = await messages(cloudflareKnownResourceTypes, resources);
    assert.deepEqual(
      found.map((m) => /has type (\S+),/.exec(m)?.[1]),
      PUBLISHING,
    );
  });
});
