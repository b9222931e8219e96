import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  databaseClusterProtected,
  databaseFirewallPresent,
  databaseFirewallRestricted,
  databasePrivateNetwork,
} from "../../policies/database";
import { UNKNOWN_ARRAY, UNKNOWN_STRING, callDirectly, find, localGraph, messages, only, productionGraph, setOpts, setProps, without } from "./fixtures";

const CLUSTER = "docstown-db";
const FIREWALL = "docstown-db-firewall";

describe("database-cluster-protected", () => {
  test("compliant graphs pass", async () => {
    assert.deepEqual(await messages(databaseClusterProtected, productionGraph()), []);
    assert.deepEqual(await messages(databaseClusterProtected, localGraph()), []);
  });

  test("an unprotected cluster", async () => {
    const graph = setOpts(productionGraph(), CLUSTER, { protect: false });
    assert.deepEqual(await messages(databaseClusterProtected, graph), [
      'database cluster "docstown-db" is not protected (opts.protect); a replacement or deletion would destroy its data',
    ]);
  });

  test("other resource types are not applicable", async () => {
    const result = await callDirectly(databaseClusterProtected, find(productionGraph(), "docstown-repos-volume"));
    assert.deepEqual(result, { reported: [], notApplicable: "Policy only applies to resources of type 'digitalocean:index/databaseCluster:DatabaseCluster'" });
  });
});

describe("database-private-network", () => {
  test("compliant graph passes", async () => {
    assert.deepEqual(await messages(databasePrivateNetwork, productionGraph()), []);
  });

  test("no privateNetworkUuid, or an empty one", async () => {
    const expected = [
      'database cluster "docstown-db" has no privateNetworkUuid; set it to the app\'s VPC at creation (changing it later replaces the cluster with an empty one)',
    ];
    assert.deepEqual(await messages(databasePrivateNetwork, setProps(productionGraph(), CLUSTER, { privateNetworkUuid: undefined })), expected);
    assert.deepEqual(await messages(databasePrivateNetwork, setProps(productionGraph(), CLUSTER, { privateNetworkUuid: "" })), expected);
  });

  test("an unknown VPC id (first preview) is set, just not known yet", async () => {
    assert.deepEqual(await messages(databasePrivateNetwork, setProps(productionGraph(), CLUSTER, { privateNetworkUuid: UNKNOWN_STRING })), []);
  });

  test("other resource types are not applicable", async () => {
    const result = await callDirectly(databasePrivateNetwork, find(productionGraph(), FIREWALL));
    assert.equal(result.notApplicable, "Policy only applies to resources of type 'digitalocean:index/databaseCluster:DatabaseCluster'");
    assert.deepEqual(await messages(databasePrivateNetwork, only(productionGraph(), "docstown-server-droplet", FIREWALL)), []);
  });
});

describe("database-firewall-restricted", () => {
  test("compliant graph passes; a tag rule is a trusted source too", async () => {
    assert.deepEqual(await messages(databaseFirewallRestricted, productionGraph()), []);
    const tagged = setProps(productionGraph(), FIREWALL, { rules: [{ type: "tag", value: "docstown-web" }] });
    assert.deepEqual(await messages(databaseFirewallRestricted, tagged), []);
  });

  test("ip_addr rules open to the whole internet", async () => {
    const graph = setProps(productionGraph(), FIREWALL, {
      rules: [
        { type: "droplet", value: "412345678" },
        { type: "ip_addr", value: "0.0.0.0/0" },
        { type: "ip_addr", value: "::/0" },
        { type: "ip_addr", value: "198.51.100.7/32" },
      ],
    });
    assert.deepEqual(await messages(databaseFirewallRestricted, graph), [
      'database firewall "docstown-db-firewall" has rule ip_addr 0.0.0.0/0, which opens the database to the whole internet',
      'database firewall "docstown-db-firewall" has rule ip_addr ::/0, which opens the database to the whole internet',
    ]);
  });

  test("the issue's bypasses: 0.0.0.0/1 + 128.0.0.0/1, and 0.0.0.0/00", async () => {
    const graph = setProps(productionGraph(), FIREWALL, {
      rules: [
        { type: "droplet", value: "412345678" },
        { type: "ip_addr", value: "0.0.0.0/1" },
        { type: "ip_addr", value: "128.0.0.0/1" },
        { type: "ip_addr", value: "0.0.0.0/00" },
      ],
    });
    assert.deepEqual(await messages(databaseFirewallRestricted, graph), [
      'database firewall "docstown-db-firewall" has rule ip_addr 0.0.0.0/1, wider than /16, the broadest IPv4 prefix allowed (policy config broadestIpv4Prefix)',
      'database firewall "docstown-db-firewall" has rule ip_addr 128.0.0.0/1, wider than /16, the broadest IPv4 prefix allowed (policy config broadestIpv4Prefix)',
      'database firewall "docstown-db-firewall" has rule ip_addr 0.0.0.0/00, which the pack cannot read (the prefix length 00 has a leading zero); it may admit anything',
    ]);
  });

  test("ip_addr rules are judged together, up to the configured prefix", async () => {
    const graph = setProps(productionGraph(), FIREWALL, {
      rules: [{ type: "droplet", value: "412345678" }, { type: "ip_addr", value: "10.0.0.0/16" }, { type: "ip_addr", value: "10.1.0.0/16" }],
    });
    assert.deepEqual(await messages(databaseFirewallRestricted, graph), [
      'database firewall "docstown-db-firewall" ip_addr rules together admit 131072 IPv4 addresses, more than one /16 (65536) (policy config broadestIpv4Prefix)',
    ]);
    assert.deepEqual(await messages(databaseFirewallRestricted, graph, { "database-firewall-restricted": { broadestIpv4Prefix: 15 } }), []);
  });

  test("only operator addresses, no droplet or tag rule", async () => {
    const graph = setProps(productionGraph(), FIREWALL, { rules: [{ type: "ip_addr", value: "198.51.100.7/32" }] });
    assert.deepEqual(await messages(databaseFirewallRestricted, graph), [
      'database firewall "docstown-db-firewall" has no droplet or tag rule; the app droplet must be a trusted source',
    ]);
    assert.deepEqual(await messages(databaseFirewallRestricted, setProps(productionGraph(), FIREWALL, { rules: undefined })), [
      'database firewall "docstown-db-firewall" has no droplet or tag rule; the app droplet must be a trusted source',
    ]);
  });

  test("unknown rules or rule types are skipped; known bad rules are still reported", async () => {
    assert.deepEqual(await messages(databaseFirewallRestricted, setProps(productionGraph(), FIREWALL, { rules: UNKNOWN_ARRAY })), []);
    const graph = setProps(productionGraph(), FIREWALL, {
      rules: [{ type: UNKNOWN_STRING, value: UNKNOWN_STRING }, { type: "ip_addr", value: "0.0.0.0/0" }, { type: "droplet", value: UNKNOWN_STRING }],
    });
    assert.deepEqual(await messages(databaseFirewallRestricted, graph), [
      'database firewall "docstown-db-firewall" has rule ip_addr 0.0.0.0/0, which opens the database to the whole internet',
    ]);
  });

  test("other resource types are not applicable", async () => {
    const result = await callDirectly(databaseFirewallRestricted, find(productionGraph(), "docstown-firewall"));
    assert.equal(result.notApplicable, "Policy only applies to resources of type 'digitalocean:index/databaseFirewall:DatabaseFirewall'");
  });
});

describe("database-firewall-present", () => {
  test("compliant graphs pass (the local stack has no managed cluster)", async () => {
    assert.deepEqual(await messages(databaseFirewallPresent, productionGraph()), []);
    assert.deepEqual(await messages(databaseFirewallPresent, localGraph()), []);
  });

  test("a cluster without a firewall", async () => {
    const found = await messages(databaseFirewallPresent, without(productionGraph(), FIREWALL));
    assert.deepEqual(found, [
      'database cluster "docstown-db" has no DatabaseFirewall; without trusted sources it accepts connections from any address',
    ]);
  });

  test("a firewall of another cluster does not count", async () => {
    const graph = productionGraph();
    const firewall = find(graph, FIREWALL);
    firewall.propertyDependencies = { clusterId: [] };
    firewall.dependencies = [];
    assert.deepEqual(await messages(databaseFirewallPresent, graph), [
      'database cluster "docstown-db" has no DatabaseFirewall; without trusted sources it accepts connections from any address',
    ]);
  });

  test("an unknown clusterId without recorded property dependencies is not judged", async () => {
    const graph = setProps(productionGraph(), FIREWALL, { clusterId: UNKNOWN_STRING });
    const firewall = find(graph, FIREWALL);
    firewall.propertyDependencies = {};
    firewall.dependencies = [find(graph, CLUSTER).urn];
    assert.deepEqual(await messages(databaseFirewallPresent, graph), []);
  });
});
