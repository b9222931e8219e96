// The load balancer in front of the web hosts (docstown:web.count 2+): a compliant one as the
// program declares it, then each property that matters broken on its own.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LOAD_BALANCER_TYPE, loadBalancerFirewallCloudflare, loadBalancerNoPlainHttpToWorld } from "../../policies/load-balancer";
import { CLOUDFLARE_IPV4_RANGES } from "../../policies/cloudflare-ranges";
import type { RecordedPolicyResource } from "../../policies/run";
import { loadBalancerSpec } from "../../src/server/load-balancer";
import { UNKNOWN_ARRAY, messages } from "./fixtures";

const NAME = "docstown-web-lb";

/** The load balancer the program declares (src/server/load-balancer.ts), with `props` over it. */
function lb(props: Record<string, unknown> = {}): RecordedPolicyResource[] {
  const spec = loadBalancerSpec(CLOUDFLARE_IPV4_RANGES);
  return [{
    urn: `urn:pulumi:production::docstown::docstown:server:WebTier$${LOAD_BALANCER_TYPE}::${NAME}`,
    type: LOAD_BALANCER_TYPE,
    name: NAME,
    props: { name: "docstown-production-web", region: "fra1", dropletTag: "docstown-production-web", ...spec, ...props },
    opts: {},
    dependencies: [],
    propertyDependencies: {},
  }];
}

const rules = loadBalancerSpec(CLOUDFLARE_IPV4_RANGES).forwardingRules;
const [https, http] = rules as unknown as [Record<string, unknown>, Record<string, unknown>];

describe("load-balancer-no-plain-http-to-world", () => {
  test("the declared load balancer passes", async () => {
    assert.deepEqual(await messages(loadBalancerNoPlainHttpToWorld, lb()), []);
  });

  test("443 terminated at the load balancer (no passthrough) is refused", async () => {
    const found = await messages(loadBalancerNoPlainHttpToWorld, lb({ forwardingRules: [{ ...https, tlsPassthrough: false }, http] }));
    assert.deepEqual(found, [
      `load balancer "${NAME}" terminates https on 443 and forwards https to the droplets; ` +
        "pass TLS through (tlsPassthrough: true, target https) so the request is never plain HTTP behind it and the Origin CA key stays on the hosts",
    ]);
  });

  test("an HTTPS entry forwarded as plain HTTP is refused", async () => {
    const found = await messages(loadBalancerNoPlainHttpToWorld, lb({ forwardingRules: [{ ...https, tlsPassthrough: false, targetProtocol: "http", targetPort: 80 }, http] }));
    assert.equal(found.length, 1);
    assert.match(found[0] ?? "", /terminates https on 443 and forwards http to the droplets/);
  });

  test("plain HTTP with no firewall allow list (every address) is refused", async () => {
    for (const firewall of [undefined, { allows: [] }]) {
      const found = await messages(loadBalancerNoPlainHttpToWorld, lb({ firewall }));
      assert.deepEqual(found, [
        `load balancer "${NAME}" forwards plain HTTP to the droplets with no firewall allow list, so every address on the internet reaches them around Cloudflare; set firewall.allows to Cloudflare's ranges`,
      ]);
    }
  });

  test("without a plain-HTTP rule, no allow list is this policy's concern; unknown rules (a preview) wait", async () => {
    assert.deepEqual(await messages(loadBalancerNoPlainHttpToWorld, lb({ forwardingRules: [https], firewall: undefined })), []);
    assert.deepEqual(await messages(loadBalancerNoPlainHttpToWorld, lb({ forwardingRules: UNKNOWN_ARRAY })), []);
  });
});

describe("load-balancer-firewall-cloudflare", () => {
  test("the declared load balancer (Cloudflare's IPv4 ranges) passes", async () => {
    assert.deepEqual(await messages(loadBalancerFirewallCloudflare, lb()), []);
  });

  test("no allow list is refused", async () => {
    assert.deepEqual(await messages(loadBalancerFirewallCloudflare, lb({ firewall: undefined })), [
      `load balancer "${NAME}" has no firewall allow list: every address may connect; allow only Cloudflare's ranges (firewall.allows "cidr:<range>")`,
    ]);
  });

  test("a source outside Cloudflare's ranges is refused, the world included", async () => {
    const allows = [...loadBalancerSpec(CLOUDFLARE_IPV4_RANGES).firewall.allows];
    for (const extra of ["cidr:0.0.0.0/0", "ip:203.0.113.7"]) {
      const found = await messages(loadBalancerFirewallCloudflare, lb({ firewall: { allows: [...allows, extra] } }));
      assert.equal(found.length, 1, extra);
      assert.match(found[0] ?? "", new RegExp(`^load balancer "${NAME}" firewall admits ${extra.slice(extra.indexOf(":") + 1).replace(/[./]/g, "\\$&")}, which is not inside Cloudflare's published ranges`));
    }
  });

  test("an unreadable source is reported", async () => {
    const found = await messages(loadBalancerFirewallCloudflare, lb({ firewall: { allows: ["cidr:not-a-network"] } }));
    assert.equal(found.length, 1);
    assert.match(found[0] ?? "", /has source/);
  });
});
