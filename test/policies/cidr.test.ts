import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import { isInside, parseCidr, parseSource, unionAddressCount, type Network } from "../../policies/cidr";
import { CLOUDFLARE_RANGES } from "../../policies/cloudflare-ranges";

/**
 * The shared parser against an independent implementation: Python's `ipaddress` module (python3
 * comes with cloud-init, which the tests need anyway) writes RFC 5952 forms, checks host bits
 * (strict=True) and merges networks (collapse_addresses).
 */
function python(script: string, input: unknown): unknown {
  return JSON.parse(execFileSync("python3", ["-c", script], { input: JSON.stringify(input) }).toString());
}

const PY_CANONICAL = `
import ipaddress, json, sys
out = []
for v in json.load(sys.stdin):
    try:
        out.append(str(ipaddress.ip_network(v, strict=True)))
    except ValueError:
        out.append(None)
print(json.dumps(out))`;

const PY_UNION = `
import ipaddress, json, sys
lists = json.load(sys.stdin)
print(json.dumps([str(sum(n.num_addresses for n in ipaddress.collapse_addresses([ipaddress.ip_network(v) for v in l]))) for l in lists]))`;

const net = (v: string): Network => {
  const parsed = parseCidr(v);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.network;
};

describe("parseCidr agrees with Python's ipaddress", () => {
  const accepted = [
    "0.0.0.0/0", "203.0.113.7/32", "10.0.0.0/8", "::/0", "::1/128", "2001:DB8::/32", "2001:0db8:0000:0000:0000:0000:0000:0000/32",
    "2001:db8:0:0:1:0:0:1/128", "2001:db8::1:0:0:1/128", "fe80::/10", "::ffff:192.0.2.1/128", "1:2:3:4:5:6:7::/128", "2606:4700:10::/48",
    ...CLOUDFLARE_RANGES,
  ];
  test("canonical text of every accepted network", () => {
    const ours = accepted.map((v) => {
      const parsed = parseCidr(v);
      return parsed.ok ? parsed.text : `refused: ${parsed.problem}`;
    });
    assert.deepEqual(ours, python(PY_CANONICAL, accepted));
  });

  test("refused: host bits, junk, out of range (Python refuses them too, except where noted)", () => {
    const refused = ["203.0.113.7/24", "2001:db8::1/32", "10.0.0.0/33", "2001:db8::/129", "256.0.0.0/8", "1.2.3/24", "1::2::3/64", "12345::/16", "::ffff:1.2.3.256/128"];
    for (const v of refused) assert.equal(parseCidr(v).ok, false, v);
    assert.deepEqual(python(PY_CANONICAL, refused), refused.map(() => null));
  });

  test("stricter than Python: /00, octets with leading zeros, a missing prefix, a zone id", () => {
    assert.deepEqual(parseCidr("0.0.0.0/00"), { ok: false, problem: "the prefix length 00 has a leading zero" });
    assert.deepEqual(parseCidr("010.0.0.0/8"), { ok: false, problem: '"010.0.0.0" is not an IPv4 or IPv6 address' });
    assert.deepEqual(parseCidr("192.0.2.1"), { ok: false, problem: "the prefix length is missing (write /32 for one address)" });
    assert.equal(parseCidr("fe80::1%eth0/64").ok, false);
  });

  test("union address counts (overlaps once, IPv4 and IPv6 apart)", () => {
    const lists = [
      ["0.0.0.0/1", "128.0.0.0/1"],
      ["10.0.0.0/16", "10.0.128.0/17", "10.0.0.1/32"],
      ["10.0.0.0/17", "10.0.128.0/17", "10.1.0.0/24"],
      ["::/1", "8000::/1"],
      ["2001:db8::/48", "2001:db8::/49", "2001:db8:1::/48"],
    ];
    const ours = lists.map((l) => {
      const networks = l.map(net);
      return String(unionAddressCount(networks, networks[0]?.version ?? 4));
    });
    assert.deepEqual(ours, python(PY_UNION, lists));
    assert.equal(unionAddressCount([net("0.0.0.0/1"), net("128.0.0.0/1")], 4), 1n << 32n);
  });
});

describe("parseSource (what a firewall holds) and containment", () => {
  test("a bare address is one host; host bits are masked, not refused", () => {
    assert.deepEqual(parseSource("198.51.100.7"), { ok: true, network: net("198.51.100.7/32"), text: "198.51.100.7/32" });
    assert.deepEqual(parseSource("203.0.113.7/24"), { ok: true, network: net("203.0.113.0/24"), text: "203.0.113.0/24" });
    assert.equal(parseSource("0.0.0.0/00").ok, false);
  });

  test("inside the union of ranges, across adjacent ranges too", () => {
    const cloudflare = CLOUDFLARE_RANGES.map(net);
    assert.ok(isInside(net("104.16.0.0/13"), cloudflare));
    assert.ok(isInside(net("104.20.0.0/14"), cloudflare));
    assert.ok(!isInside(net("104.16.0.0/12"), cloudflare), "104.28.0.0/14 is not Cloudflare's (the /12 was split in 2021)");
    assert.ok(isInside(net("10.0.0.0/24"), [net("10.0.0.128/25"), net("10.0.0.0/25")]), "two adjacent halves hold the whole");
    assert.ok(!isInside(net("2001:db8::/32"), [net("2001:db8::/33")]));
  });
});
