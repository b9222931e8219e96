import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SECRET_KEYS } from "../../src/config/secrets";
import { validateConfig } from "../../src/config/validate";
import { errorsWith, operators, production } from "./production-config";

/**
 * Who may reach SSH, PostgreSQL and 80/443, as the config states it (issue: "never world-open"
 * was defeated by wide prefixes). Each case is the committed production config with one change.
 */


const WIDE_V4 = (key: string, i: number, cidr: string) =>
  `docstown:operators.${key}[${i}]: ${cidr} is wider than /16, the broadest IPv4 prefix allowed (docstown:operators.broadestPrefix.ipv4)`;
const OUTSIDE = (i: number, cidr: string) =>
  `docstown:cloudflare.originCidrs[${i}]: ${cidr} is not inside Cloudflare's published ranges (policies/cloudflare-ranges.ts, checked 2026-12-01); only Cloudflare's edge may reach 80/443`;

describe("the issue's bypasses are refused", () => {
  test("0.0.0.0/1 plus 128.0.0.0/1 in operators.sshCidrs", () => {
    assert.deepEqual(errorsWith("operators", { sshCidrs: ["0.0.0.0/1", "128.0.0.0/1"] }), [
      WIDE_V4("sshCidrs", 0, "0.0.0.0/1"),
      WIDE_V4("sshCidrs", 1, "128.0.0.0/1"),
    ]);
  });

  test("::/1 plus 8000::/1 in operators.sshCidrs", () => {
    assert.deepEqual(errorsWith("operators", { sshCidrs: ["::/1", "8000::/1"] }), [
      "docstown:operators.sshCidrs[0]: ::/1 is wider than /48, the broadest IPv6 prefix allowed (docstown:operators.broadestPrefix.ipv6)",
      "docstown:operators.sshCidrs[1]: 8000::/1 is wider than /48, the broadest IPv6 prefix allowed (docstown:operators.broadestPrefix.ipv6)",
    ]);
  });

  test("0.0.0.0/1 plus 128.0.0.0/1 in operators.databaseCidrs", () => {
    assert.deepEqual(errorsWith("operators", { databaseCidrs: ["0.0.0.0/1", "128.0.0.0/1"] }), [
      WIDE_V4("databaseCidrs", 0, "0.0.0.0/1"),
      WIDE_V4("databaseCidrs", 1, "128.0.0.0/1"),
    ]);
  });

  test("0.0.0.0/1 plus 128.0.0.0/1 in cloudflare.originCidrs", () => {
    assert.deepEqual(errorsWith("cloudflare", { originCidrs: ["0.0.0.0/1", "128.0.0.0/1"] }), [OUTSIDE(0, "0.0.0.0/1"), OUTSIDE(1, "128.0.0.0/1")]);
  });

  test("0.0.0.0/00: a prefix length with a leading zero is junk, not /0", () => {
    assert.deepEqual(errorsWith("operators", { sshCidrs: ["0.0.0.0/00"] }), [
      "docstown:operators.sshCidrs[0]: must be an IPv4 or IPv6 network in CIDR notation, e.g. 203.0.113.7/32 (the prefix length 00 has a leading zero)",
    ]);
  });
});

describe("the union of the sources, not each alone", () => {
  test("two /16s: each allowed, together twice the limit", () => {
    assert.deepEqual(errorsWith("operators", { sshCidrs: ["10.0.0.0/16", "10.1.0.0/16"] }), [
      "docstown:operators.sshCidrs: together these networks cover 131072 IPv4 addresses, more than one /16 (65536); see docstown:operators.broadestPrefix.ipv4",
    ]);
    assert.deepEqual(errorsWith("operators", { databaseCidrs: ["10.0.0.0/17", "10.0.128.0/17", "10.1.0.0/24"] }), [
      "docstown:operators.databaseCidrs: together these networks cover 65792 IPv4 addresses, more than one /16 (65536); see docstown:operators.broadestPrefix.ipv4",
    ]);
  });

  test("overlapping networks are counted once", () => {
    assert.deepEqual(errorsWith("operators", { sshCidrs: ["10.0.0.0/16", "10.0.128.0/17", "10.0.0.1/32"] }), []);
  });

  test("IPv4 and IPv6 are judged apart", () => {
    assert.deepEqual(errorsWith("operators", { sshCidrs: ["10.0.0.0/16", "2001:db8::/48"] }), []);
  });
});

describe("the broadest prefix is configurable", () => {
  test("narrower: a /23 is refused when /24 is the limit", () => {
    assert.deepEqual(errorsWith("operators", { broadestPrefix: { ipv4: 24, ipv6: 64 }, sshCidrs: ["198.51.100.0/23"] }), [
      "docstown:operators.sshCidrs[0]: 198.51.100.0/23 is wider than /24, the broadest IPv4 prefix allowed (docstown:operators.broadestPrefix.ipv4)",
    ]);
  });

  test("wider: a /12 passes when /12 is the limit; the floor is /8 and /16", () => {
    assert.deepEqual(errorsWith("operators", { broadestPrefix: { ipv4: 12 }, sshCidrs: ["10.0.0.0/12"] }), []);
    assert.deepEqual(errorsWith("operators", { broadestPrefix: { ipv4: 1, ipv6: 0 } }), [
      "docstown:operators.broadestPrefix.ipv4: must be at least 8",
      "docstown:operators.broadestPrefix.ipv6: must be at least 16",
    ]);
  });
});

describe("spelling", () => {
  test("host bits set are refused with the two readings spelled out", () => {
    assert.deepEqual(errorsWith("operators", { sshCidrs: ["203.0.113.7/24"] }), [
      "docstown:operators.sshCidrs[0]: 203.0.113.7/24 has host bits set; write the network 203.0.113.0/24, or 203.0.113.7/32 for the one address",
    ]);
  });

  test("leading zeros in an octet, a zone id, a missing prefix", () => {
    assert.deepEqual(errorsWith("operators", { sshCidrs: ["010.0.0.1/32", "fe80::1%eth0/128", "192.0.2.1"] }), [
      'docstown:operators.sshCidrs[0]: must be an IPv4 or IPv6 network in CIDR notation, e.g. 203.0.113.7/32 ("010.0.0.1" is not an IPv4 or IPv6 address)',
      'docstown:operators.sshCidrs[1]: must be an IPv4 or IPv6 network in CIDR notation, e.g. 203.0.113.7/32 ("fe80::1%eth0" is not an IPv4 or IPv6 address)',
      "docstown:operators.sshCidrs[2]: must be an IPv4 or IPv6 network in CIDR notation, e.g. 203.0.113.7/32 (the prefix length is missing (write /32 for one address))",
    ]);
  });

  test("IPv6 in any valid spelling is accepted and normalised", () => {
    const result = validateConfig(
      { ...production, "docstown:operators": JSON.stringify({ ...operators, sshCidrs: ["2001:DB8:0:0:1::/80", "203.0.113.10/32"] }) },
      new Set(SECRET_KEYS),
    );
    assert.ok(result.ok && result.config.target === "digitalocean");
    if (result.ok && result.config.target === "digitalocean") assert.deepEqual(result.config.operators.sshCidrs, ["2001:db8:0:0:1::/80", "203.0.113.10/32"]);
  });

  test("origin networks inside Cloudflare's ranges pass", () => {
    assert.deepEqual(errorsWith("cloudflare", { originCidrs: ["173.245.48.0/21", "2606:4700:10::/48"] }), []);
  });
});
