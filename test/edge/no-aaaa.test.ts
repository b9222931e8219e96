// IPv6 is refused in config (the proxy does not answer on it), so production publishes no AAAA record.
import assert from "node:assert/strict";
import { test } from "node:test";
import { synthStack } from "../harness";

test("production publishes A records only: no AAAA record points Cloudflare at an address nothing serves", async () => {
  const { resources } = await synthStack("production");
  const records = resources.filter((r) => r.type === "cloudflare:index/dnsRecord:DnsRecord");
  assert.ok(records.some((r) => r.inputs["type"] === "A"), "the apex has an A record");
  assert.deepEqual(records.filter((r) => r.inputs["type"] === "AAAA").map((r) => r.name), []);
  const droplet = resources.find((r) => r.type === "digitalocean:index/droplet:Droplet");
  assert.notEqual(droplet?.inputs["ipv6"], true);
});
