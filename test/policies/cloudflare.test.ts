import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  cloudflareAlwaysHttps,
  cloudflareMinTls,
  cloudflareSslStrict,
  cloudflareWebRecordsProxied,
  isApexOrWww,
} from "../../policies/cloudflare";
import {
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
    assert.deepEqual(result, { reported: [], notApplicable: "Policy only applies to resources of type 'cloudflare:index/dnsRecord:DnsRecord'" });
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
