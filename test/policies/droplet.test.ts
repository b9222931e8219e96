import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { dropletFirewallAttached, dropletMonitoring, dropletSshKeys, firewallInboundRestricted, parsePortRange } from "../../policies/droplet";
import { UNKNOWN_ARRAY, UNKNOWN_BOOLEAN, UNKNOWN_STRING, callDirectly, find, localGraph, messages, productionGraph, setProps, without } from "./fixtures";

const DROPLET = "docstown-server-droplet";
const FIREWALL = "docstown-firewall";

describe("droplet-ssh-keys", () => {
  test("compliant graphs pass", async () => {
    assert.deepEqual(await messages(dropletSshKeys, productionGraph()), []);
    assert.deepEqual(await messages(dropletSshKeys, localGraph()), []);
  });

  test("no keys, or an empty list", async () => {
    const expected = ['droplet "docstown-server-droplet" has no sshKeys; DigitalOcean would email a root password and allow password login'];
    assert.deepEqual(await messages(dropletSshKeys, setProps(productionGraph(), DROPLET, { sshKeys: undefined })), expected);
    assert.deepEqual(await messages(dropletSshKeys, setProps(productionGraph(), DROPLET, { sshKeys: [] })), expected);
  });

  test("unknown keys (fingerprints of keys created in the same update) are skipped", async () => {
    assert.deepEqual(await messages(dropletSshKeys, setProps(productionGraph(), DROPLET, { sshKeys: UNKNOWN_ARRAY })), []);
    assert.deepEqual(await messages(dropletSshKeys, setProps(productionGraph(), DROPLET, { sshKeys: [UNKNOWN_STRING] })), []);
  });

  test("other resource types are not applicable", async () => {
    const result = await callDirectly(dropletSshKeys, find(productionGraph(), FIREWALL));
    assert.deepEqual(result, { reported: [], notApplicable: "Policy only applies to resources of type 'digitalocean:index/droplet:Droplet'" });
  });
});

describe("droplet-monitoring", () => {
  test("compliant graph passes", async () => {
    assert.deepEqual(await messages(dropletMonitoring, productionGraph()), []);
  });

  test("monitoring off or unset", async () => {
    const expected = ['droplet "docstown-server-droplet" does not enable monitoring; the CPU, memory and disk alerts need the DigitalOcean agent'];
    assert.deepEqual(await messages(dropletMonitoring, setProps(productionGraph(), DROPLET, { monitoring: false })), expected);
    assert.deepEqual(await messages(dropletMonitoring, setProps(productionGraph(), DROPLET, { monitoring: undefined })), expected);
  });

  test("unknown monitoring is skipped", async () => {
    assert.deepEqual(await messages(dropletMonitoring, setProps(productionGraph(), DROPLET, { monitoring: UNKNOWN_BOOLEAN })), []);
  });

  test("other resource types are not applicable", async () => {
    const result = await callDirectly(dropletMonitoring, find(productionGraph(), "docstown-web"));
    assert.equal(result.notApplicable, "Policy only applies to resources of type 'digitalocean:index/droplet:Droplet'");
  });
});

describe("firewall-inbound-restricted", () => {
  const withRules = (rules: unknown) => setProps(productionGraph(), FIREWALL, { inboundRules: rules });

  test("compliant graph passes", async () => {
    assert.deepEqual(await messages(firewallInboundRestricted, productionGraph()), []);
  });

  test("port ranges", () => {
    assert.deepEqual(parsePortRange("22"), [22, 22]);
    assert.deepEqual(parsePortRange("8000-9000"), [8000, 9000]);
    assert.deepEqual(parsePortRange("all"), [1, 65535]);
    assert.deepEqual(parsePortRange(undefined), [1, 65535]);
    assert.deepEqual(parsePortRange("nonsense"), [1, 65535]);
  });

  test("SSH from the whole internet", async () => {
    const graph = withRules([{ protocol: "tcp", portRange: "22", sourceAddresses: ["0.0.0.0/0", "::/0"] }]);
    assert.deepEqual(await messages(firewallInboundRestricted, graph), [
      'firewall "docstown-firewall" inbound rule tcp 22 allows SSH from 0.0.0.0/0, ::/0; restrict it to operator addresses',
    ]);
  });

  test("PostgreSQL and the Docker API, one by one", async () => {
    const graph = withRules([
      { protocol: "tcp", portRange: "5432", sourceAddresses: ["10.110.0.0/20"] },
      { protocol: "tcp", portRange: "2375", sourceAddresses: ["198.51.100.7/32"] },
      { protocol: "tcp", portRange: "2376", sourceAddresses: ["198.51.100.7/32"] },
      { protocol: "tcp", portRange: "8080", sourceAddresses: ["198.51.100.7/32"] },
    ]);
    assert.deepEqual(await messages(firewallInboundRestricted, graph), [
      'firewall "docstown-firewall" inbound rule tcp 5432 opens ports other than 22, 80 and 443 (including 5432 PostgreSQL)',
      'firewall "docstown-firewall" inbound rule tcp 2375 opens ports other than 22, 80 and 443 (including 2375 Docker API)',
      'firewall "docstown-firewall" inbound rule tcp 2376 opens ports other than 22, 80 and 443 (including 2376 Docker API over TLS)',
      'firewall "docstown-firewall" inbound rule tcp 8080 opens ports other than 22, 80 and 443',
    ]);
  });

  test("a range covering the forbidden ports counts, and so does an unset range", async () => {
    const graph = withRules([
      { protocol: "tcp", portRange: "1-65535", sourceAddresses: ["0.0.0.0/0"] },
      { protocol: "udp", sourceAddresses: ["198.51.100.7/32"] },
      { protocol: "tcp", portRange: "80-443", sourceAddresses: ["198.51.100.7/32"] },
    ]);
    assert.deepEqual(await messages(firewallInboundRestricted, graph), [
      'firewall "docstown-firewall" inbound rule tcp 1-65535 opens ports other than 22, 80 and 443 (including 2375 Docker API, 2376 Docker API over TLS, 5432 PostgreSQL)',
      'firewall "docstown-firewall" inbound rule tcp 1-65535 allows SSH from 0.0.0.0/0; restrict it to operator addresses',
      `firewall "docstown-firewall" inbound rule tcp 1-65535 admits 0.0.0.0/0, which is not inside Cloudflare's published ranges; only Cloudflare's edge may reach 80/443`,
      'firewall "docstown-firewall" inbound rule udp all opens ports other than 22, 80 and 443 (including 2375 Docker API, 2376 Docker API over TLS, 5432 PostgreSQL)',
      `firewall "docstown-firewall" inbound rule udp all admits 198.51.100.7/32, which is not inside Cloudflare's published ranges; only Cloudflare's edge may reach 80/443`,
      'firewall "docstown-firewall" inbound rule tcp 80-443 opens ports other than 22, 80 and 443',
      `firewall "docstown-firewall" inbound rule tcp 80-443 admits 198.51.100.7/32, which is not inside Cloudflare's published ranges; only Cloudflare's edge may reach 80/443`,
    ]);
  });

  test("ICMP from anywhere and no inbound rules at all are fine", async () => {
    assert.deepEqual(await messages(firewallInboundRestricted, withRules([{ protocol: "icmp", sourceAddresses: ["0.0.0.0/0", "::/0"] }])), []);
    assert.deepEqual(await messages(firewallInboundRestricted, withRules(undefined)), []);
  });

  test("80 and 443 only from Cloudflare's published ranges (or parts of them)", async () => {
    const graph = withRules([
      { protocol: "tcp", portRange: "443", sourceAddresses: ["0.0.0.0/0", "::/0", "173.245.48.0/21"] },
      { protocol: "tcp", portRange: "80", sourceAddresses: ["198.51.100.7/32", "2606:4700:10::/48"] },
    ]);
    assert.deepEqual(await messages(firewallInboundRestricted, graph), [
      `firewall "docstown-firewall" inbound rule tcp 443 admits 0.0.0.0/0, ::/0, which are not inside Cloudflare's published ranges; only Cloudflare's edge may reach 80/443`,
      `firewall "docstown-firewall" inbound rule tcp 80 admits 198.51.100.7/32, which is not inside Cloudflare's published ranges; only Cloudflare's edge may reach 80/443`,
    ]);
  });

  test("the issue's bypasses: /1 + /1 on SSH and on 80/443, and /00", async () => {
    const halves = ["0.0.0.0/1", "128.0.0.0/1"];
    assert.deepEqual(await messages(firewallInboundRestricted, withRules([{ protocol: "tcp", portRange: "22", sourceAddresses: halves }])), [
      'firewall "docstown-firewall" inbound rule tcp 22 allows SSH from 0.0.0.0/1, wider than /16, the broadest IPv4 prefix allowed (policy config broadestIpv4Prefix)',
      'firewall "docstown-firewall" inbound rule tcp 22 allows SSH from 128.0.0.0/1, wider than /16, the broadest IPv4 prefix allowed (policy config broadestIpv4Prefix)',
    ]);
    assert.deepEqual(await messages(firewallInboundRestricted, withRules([{ protocol: "tcp", portRange: "443", sourceAddresses: halves }])), [
      `firewall "docstown-firewall" inbound rule tcp 443 admits 0.0.0.0/1, 128.0.0.0/1, which are not inside Cloudflare's published ranges; only Cloudflare's edge may reach 80/443`,
    ]);
    assert.deepEqual(await messages(firewallInboundRestricted, withRules([{ protocol: "tcp", portRange: "22", sourceAddresses: ["0.0.0.0/00"] }])), [
      'firewall "docstown-firewall" inbound rule tcp 22 has source "0.0.0.0/00", which the pack cannot read (the prefix length 00 has a leading zero); it may admit anything',
    ]);
  });

  test("SSH sources are judged together: two /16s in two rules are twice the limit", async () => {
    const graph = withRules([
      { protocol: "tcp", portRange: "22", sourceAddresses: ["10.0.0.0/16"] },
      { protocol: "tcp", portRange: "22", sourceAddresses: ["10.1.0.0/16", "10.0.0.7"] },
      { protocol: "tcp", portRange: "22", sourceAddresses: ["2001:db8::/48"] },
    ]);
    assert.deepEqual(await messages(firewallInboundRestricted, graph), [
      'firewall "docstown-firewall" inbound rules covering SSH (tcp 22) together admit 131072 IPv4 addresses, more than one /16 (65536) (policy config broadestIpv4Prefix)',
    ]);
  });

  test("the limits and Cloudflare's ranges come from the policy config", async () => {
    const config = { "firewall-inbound-restricted": { broadestIpv4Prefix: 24, cloudflareRanges: ["198.51.100.0/24"] } };
    const graph = withRules([
      { protocol: "tcp", portRange: "22", sourceAddresses: ["203.0.112.0/23"] },
      { protocol: "tcp", portRange: "443", sourceAddresses: ["198.51.100.0/25", "173.245.48.0/20"] },
    ]);
    assert.deepEqual(await messages(firewallInboundRestricted, graph, config), [
      'firewall "docstown-firewall" inbound rule tcp 22 allows SSH from 203.0.112.0/23, wider than /24, the broadest IPv4 prefix allowed (policy config broadestIpv4Prefix)',
      `firewall "docstown-firewall" inbound rule tcp 443 admits 173.245.48.0/20, which is not inside Cloudflare's published ranges; only Cloudflare's edge may reach 80/443`,
    ]);
  });

  test("unknown values: that rule's check is skipped, the rest still run", async () => {
    const graph = withRules([
      { protocol: "tcp", portRange: "22", sourceAddresses: UNKNOWN_ARRAY },
      { protocol: "tcp", portRange: UNKNOWN_STRING, sourceAddresses: ["0.0.0.0/0"] },
      { protocol: UNKNOWN_STRING, portRange: "5432" },
      UNKNOWN_STRING,
      { protocol: "tcp", portRange: "5432", sourceAddresses: [UNKNOWN_STRING] },
    ]);
    assert.deepEqual(await messages(firewallInboundRestricted, graph), [
      'firewall "docstown-firewall" inbound rule tcp 5432 opens ports other than 22, 80 and 443 (including 5432 PostgreSQL)',
    ]);
    assert.deepEqual(await messages(firewallInboundRestricted, withRules(UNKNOWN_ARRAY)), []);
  });

  test("other resource types are not applicable", async () => {
    const result = await callDirectly(firewallInboundRestricted, find(productionGraph(), "docstown-db-firewall"));
    assert.equal(result.notApplicable, "Policy only applies to resources of type 'digitalocean:index/firewall:Firewall'");
  });
});

describe("droplet-firewall-attached", () => {
  const NOT_COVERED =
    'droplet "docstown-server-droplet" is not covered by any Firewall (dropletIds or tags); every port Docker publishes would be reachable from the internet';

  test("compliant graphs pass", async () => {
    assert.deepEqual(await messages(dropletFirewallAttached, productionGraph()), []);
    assert.deepEqual(await messages(dropletFirewallAttached, localGraph()), []);
  });

  test("no firewall", async () => {
    assert.deepEqual(await messages(dropletFirewallAttached, without(productionGraph(), FIREWALL)), [NOT_COVERED]);
  });

  test("a firewall for other droplets; then one by tag", async () => {
    const graph = setProps(productionGraph(), FIREWALL, { dropletIds: [1] });
    const firewall = find(graph, FIREWALL);
    firewall.propertyDependencies = {};
    firewall.dependencies = [];
    assert.deepEqual(await messages(dropletFirewallAttached, graph), [NOT_COVERED]);
    setProps(graph, FIREWALL, { dropletIds: undefined, tags: ["docstown-web"] });
    assert.deepEqual(await messages(dropletFirewallAttached, graph), []);
  });

  test("unknown tags are not judged", async () => {
    const graph = setProps(productionGraph(), FIREWALL, { dropletIds: undefined, tags: UNKNOWN_ARRAY });
    const firewall = find(graph, FIREWALL);
    firewall.propertyDependencies = {};
    firewall.dependencies = [];
    assert.deepEqual(await messages(dropletFirewallAttached, graph), []);
  });
});
