import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  cloudflareAlwaysHttps,
  cloudflareKnownResourceTypes,
  cloudflareMinTls,
  cloudflareSslStrict,
  cloudflareWebRecordsProxied,
  isApexOrWww,
} from "../../policies/cloudflare";
import type { RecordedPolicyResource } from "../../policies/run";
import {
  UNKNOWN_ARRAY,
  UNKNOWN_BOOLEAN,
  UNKNOWN_STRING,
  ZONE_ID,
  callDirectly,
  find,
  localGraph,
  messages,
  only,
  productionGraph,
  setProps,
  violations,
  without,
} from "./fixtures";

describe("cloudflare-web-records-proxied", () => {
  test("compliant graphs pass (DKIM CNAME and TXT stay DNS-only)", async () => {
    assert.deepEqual(await messages(cloudflareWebRecordsProxied, productionGraph()), []);
    assert.deepEqual(await messages(cloudflareWebRecordsProxied, localGraph()), []);
  });

  test("apex and www detection", () => {
    for (const name of ["@", "docstown.org", "www", "www.docstown.org", "docstown.org."]) assert.equal(isApexOrWww(name), true, name);
    for (const name of ["s1._domainkey.docstown.org", "em123.docstown.org", "status"]) assert.equal(isApexOrWww(name), false, name);
  });

  test("unproxied A, AAAA and www CNAME", async () => {
    const graph = setProps(productionGraph(), "docstown-apex", { proxied: false });
    setProps(graph, "docstown-www", { proxied: undefined });
    graph.push({ ...find(graph, "docstown-apex"), name: "docstown-apex-v6", urn: `${find(graph, "docstown-apex").urn}-v6`, props: { zoneId: ZONE_ID, name: "docstown.org", type: "AAAA", content: "2001:db8::10", ttl: 1 } });
    assert.deepEqual(await messages(cloudflareWebRecordsProxied, graph), [
      'DNS record "docstown-apex" (A docstown.org) is not proxied; web traffic must pass through Cloudflare',
      'DNS record "docstown-www" (CNAME www.docstown.org) is not proxied; web traffic must pass through Cloudflare',
      'DNS record "docstown-apex-v6" (AAAA docstown.org) is not proxied; web traffic must pass through Cloudflare',
    ]);
  });

  test("an A record for another host must be proxied too", async () => {
    const graph = setProps(productionGraph(), "docstown-apex", { name: "status.docstown.org", proxied: false });
    assert.deepEqual(await messages(cloudflareWebRecordsProxied, graph), [
      'DNS record "docstown-apex" (A status.docstown.org) is not proxied; web traffic must pass through Cloudflare',
    ]);
  });

  test("unknown values are skipped", async () => {
    const graph = setProps(productionGraph(), "docstown-apex", { proxied: UNKNOWN_BOOLEAN });
    setProps(graph, "docstown-www", { name: UNKNOWN_STRING, proxied: false });
    setProps(graph, "docstown-dkim", { type: UNKNOWN_STRING, proxied: false });
    assert.deepEqual(await messages(cloudflareWebRecordsProxied, graph), []);
  });

  test("other resource types are not applicable", async () => {
    const result = await callDirectly(cloudflareWebRecordsProxied, find(productionGraph(), "docstown-ssl"));
    assert.deepEqual(result, { reported: [], notApplicable: "Policy only applies to resources of types 'cloudflare:index/dnsRecord:DnsRecord', 'cloudflare:index/record:Record'" });
  });
});

const settingPolicies = [
  { policy: cloudflareSslStrict, setting: "docstown-ssl", id: "ssl", bad: "full", expected: '"strict"' },
  { policy: cloudflareMinTls, setting: "docstown-min-tls", id: "min_tls_version", bad: "1.0", expected: '"1.2" or higher' },
  { policy: cloudflareAlwaysHttps, setting: "docstown-always-https", id: "always_use_https", bad: "off", expected: '"on"' },
] as const;

for (const { policy, setting, id, bad, expected } of settingPolicies) {
  describe(policy.name, () => {
    test("compliant graphs pass; a stack without DNS records needs no setting", async () => {
      assert.deepEqual(await messages(policy, productionGraph()), []);
      assert.deepEqual(await messages(policy, localGraph()), []);
    });

    test("a wrong value", async () => {
      const graph = setProps(productionGraph(), setting, { value: bad });
      const found = await violations(policy, graph);
      assert.deepEqual(found, [
        {
          policy: policy.name,
          enforcementLevel: "mandatory",
          urn: find(graph, setting).urn,
          message: `zone setting "${setting}" sets ${id} to "${bad}"; it must be ${expected}`,
        },
      ]);
    });

    test("the setting missing while the zone has records", async () => {
      assert.deepEqual(await messages(policy, without(productionGraph(), setting)), [
        `zone "${ZONE_ID}" has DNS records in this stack but no ZoneSetting ${id}; declare one set to ${expected}`,
      ]);
    });

    test("the setting for another zone does not cover this one", async () => {
      const graph = setProps(productionGraph(), setting, { zoneId: "ffffffffffffffffffffffffffffffff" });
      assert.deepEqual(await messages(policy, graph), [
        `zone "${ZONE_ID}" has DNS records in this stack but no ZoneSetting ${id}; declare one set to ${expected}`,
      ]);
    });

    test("unknown zone ids: any setting of that id covers; none does not", async () => {
      const graph = setProps(productionGraph(), "docstown-apex", { zoneId: UNKNOWN_STRING });
      setProps(graph, setting, { zoneId: UNKNOWN_STRING });
      assert.deepEqual(await messages(policy, graph), []);
      assert.deepEqual(await messages(policy, without(graph, setting)), [
        `zone "${ZONE_ID}" has DNS records in this stack but no ZoneSetting ${id}; declare one set to ${expected}`,
        `the stack has DNS records but no ZoneSetting ${id}; declare one set to ${expected}`,
      ]);
    });

    test("unknown value or settingId is skipped", async () => {
      assert.deepEqual(await messages(policy, setProps(productionGraph(), setting, { value: UNKNOWN_STRING })), []);
      assert.deepEqual(await messages(policy, setProps(productionGraph(), setting, { settingId: UNKNOWN_STRING })), []);
    });

    test("unrelated resources only: nothing to report", async () => {
      assert.deepEqual(await messages(policy, only(productionGraph(), "docstown-server-droplet", "docstown-web")), []);
    });
  });
}

test("min_tls_version 1.3 and camelCase setting ids are accepted", async () => {
  const graph = setProps(productionGraph(), "docstown-min-tls", { settingId: "minTlsVersion", value: "1.3" });
  assert.deepEqual(await messages(cloudflareMinTls, graph), []);
});

// ---------------------------------------------------------------------------------------------
// Every type that can publish a record or override the zone's TLS.

/** The compliant production graph plus one Cloudflare resource of `type`. */
function plus(type: string, name: string, props: Record<string, unknown>): RecordedPolicyResource[] {
  const graph = productionGraph();
  const like = find(graph, "docstown-apex");
  graph.push({ ...like, type, name, urn: `urn:pulumi:production::docstown::${type}::${name}`, props: { zoneId: ZONE_ID, ...props } });
  return graph;
}

const RECORD = "cloudflare:index/record:Record";
const PAGE_RULE = "cloudflare:index/pageRule:PageRule";
const RULESET = "cloudflare:index/ruleset:Ruleset";
const HOSTNAME_TLS = "cloudflare:index/hostnameTlsSetting:HostnameTlsSetting";
const configRules = (ssl: string) => ({
  name: "config", kind: "zone", phase: "http_config_settings",
  rules: [{ action: "set_config", expression: 'http.host eq "docstown.org"', actionParameters: { automaticHttpsRewrites: true } }, { action: "set_config", expression: "true", actionParameters: { ssl } }],
});

describe("the older cloudflare.Record type", () => {
  test("proxied passes, unproxied A fails", async () => {
    const record = { name: "docstown.org", type: "A", content: "203.0.113.10", ttl: 1 };
    assert.deepEqual(await messages(cloudflareWebRecordsProxied, plus(RECORD, "docstown-legacy", { ...record, proxied: true })), []);
    assert.deepEqual(await messages(cloudflareWebRecordsProxied, plus(RECORD, "docstown-legacy", { ...record, proxied: false })), [
      'DNS record "docstown-legacy" (A docstown.org) is not proxied; web traffic must pass through Cloudflare',
    ]);
  });

  test("its zone needs the TLS settings like a DnsRecord's", async () => {
    const graph = plus(RECORD, "docstown-legacy", { zoneId: "ffffffffffffffffffffffffffffffff", name: "other.org", type: "A", content: "203.0.113.10", proxied: true, ttl: 1 });
    assert.deepEqual(await messages(cloudflareSslStrict, graph), [
      'zone "ffffffffffffffffffffffffffffffff" has DNS records in this stack but no ZoneSetting ssl; declare one set to "strict"',
    ]);
  });
});

describe("cloudflare-ssl-strict: page rules and configuration rules", () => {
  test("strict (or origin_pull) passes", async () => {
    assert.deepEqual(await messages(cloudflareSslStrict, plus(PAGE_RULE, "docstown-page", { target: "docstown.org/*", actions: { ssl: "strict" } })), []);
    assert.deepEqual(await messages(cloudflareSslStrict, plus(PAGE_RULE, "docstown-page", { target: "docstown.org/*", actions: { alwaysUseHttps: true } })), []);
    assert.deepEqual(await messages(cloudflareSslStrict, plus(RULESET, "docstown-config", configRules("strict"))), []);
    assert.deepEqual(await messages(cloudflareSslStrict, plus(RULESET, "docstown-config", configRules("origin_pull"))), []);
  });

  test("a page rule setting ssl flexible", async () => {
    const graph = plus(PAGE_RULE, "docstown-page", { target: "docstown.org/*", actions: { ssl: "flexible" } });
    const found = await violations(cloudflareSslStrict, graph);
    assert.deepEqual(found, [
      {
        policy: "cloudflare-ssl-strict",
        enforcementLevel: "mandatory",
        urn: find(graph, "docstown-page").urn,
        message: 'page rule actions of "docstown-page" sets ssl to "flexible", overriding the zone\'s Full (strict) for what it matches; remove it or set "strict"',
      },
    ]);
  });

  test("a configuration ruleset setting ssl full or off", async () => {
    assert.deepEqual(await messages(cloudflareSslStrict, plus(RULESET, "docstown-config", configRules("full"))), [
      'ruleset rules[1].actionParameters of "docstown-config" sets ssl to "full", overriding the zone\'s Full (strict) for what it matches; remove it or set "strict"',
    ]);
    assert.deepEqual(await messages(cloudflareSslStrict, plus(RULESET, "docstown-config", configRules("off"))), [
      'ruleset rules[1].actionParameters of "docstown-config" sets ssl to "off", overriding the zone\'s Full (strict) for what it matches; remove it or set "strict"',
    ]);
  });

  test("unknown actions or rules are skipped", async () => {
    assert.deepEqual(await messages(cloudflareSslStrict, plus(PAGE_RULE, "docstown-page", { target: "docstown.org/*", actions: { ssl: UNKNOWN_STRING } })), []);
    assert.deepEqual(await messages(cloudflareSslStrict, plus(RULESET, "docstown-config", { ...configRules("off"), rules: UNKNOWN_ARRAY })), []);
  });
});

describe("cloudflare-min-tls: hostname TLS settings", () => {
  test("1.2 passes, 1.0 fails, other settings are not its concern", async () => {
    const setting = (settingId: string, value: string) => plus(HOSTNAME_TLS, "docstown-host-tls", { hostname: "docstown.org", settingId, value });
    assert.deepEqual(await messages(cloudflareMinTls, setting("min_tls_version", "1.2")), []);
    assert.deepEqual(await messages(cloudflareMinTls, setting("http2", "off")), []);
    assert.deepEqual(await messages(cloudflareMinTls, setting("min_tls_version", "1.0")), [
      'hostname TLS setting "docstown-host-tls" sets min_tls_version for docstown.org to "1.0"; it must be "1.2" or higher',
    ]);
  });
});

describe("cloudflare-known-resource-types", () => {
  test("compliant graphs and the judged types pass", async () => {
    assert.deepEqual(await messages(cloudflareKnownResourceTypes, productionGraph()), []);
    assert.deepEqual(await messages(cloudflareKnownResourceTypes, localGraph()), []);
    for (const type of [RECORD, PAGE_RULE, RULESET, HOSTNAME_TLS, "cloudflare:index/originCaCertificate:OriginCaCertificate", "cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings"]) {
      assert.deepEqual(await messages(cloudflareKnownResourceTypes, plus(type, "docstown-extra", {})), [], type);
    }
  });

  test("a type the pack has not judged is refused (a load balancer publishes a hostname, unproxied by default)", async () => {
    const graph = plus("cloudflare:index/loadBalancer:LoadBalancer", "docstown-lb", { name: "docstown.org", defaultPools: ["p"], fallbackPool: "p" });
    const found = await violations(cloudflareKnownResourceTypes, graph);
    assert.deepEqual(found.map((v) => [v.enforcementLevel, v.message]), [
      [
        "mandatory",
        'Cloudflare resource "docstown-lb" has type cloudflare:index/loadBalancer:LoadBalancer, which the policy pack does not know; it could publish an ' +
          "unproxied hostname or weaken the zone's TLS unseen. Judge the type in policies/cloudflare-types.ts (and a rule) before using it",
      ],
    ]);
  });

  test("other providers' resources are not applicable", async () => {
    const result = await callDirectly(cloudflareKnownResourceTypes, find(productionGraph(), "docstown-server-droplet"));
    assert.deepEqual(result, { reported: [], notApplicable: "Policy only applies to Cloudflare resources" });
  });
});
