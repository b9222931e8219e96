import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PROVIDER_CREDENTIALS, secretStorageProblems } from "../../src/config/secrets";
import { errorsWith } from "./production-config";

/**
 * Bugs each of which, planted alone in the config checks, left the whole suite green (issue 19,
 * point 9). Every test here fails with its bug planted. Each case is the committed production
 * config with one change.
 */


const OUTSIDE = (i: number, cidr: string) =>
  `docstown:cloudflare.originCidrs[${i}]: ${cidr} is not inside Cloudflare's published ranges (policies/cloudflare-ranges.ts, checked 2026-12-01); only Cloudflare's edge may reach 80/443`;

describe("cloudflare.originCidrs: IPv6 entries are checked against Cloudflare's ranges (src/config/primitives.ts)", () => {
  test("IPv6 networks outside the ranges are refused, each by its index", () => {
    assert.deepEqual(errorsWith("cloudflare", { originCidrs: ["2400:cb00::/32", "2001:db8::/32", "2a06:98c8::/29", "2606:4700::/31", "::1/128"] }), [
      OUTSIDE(1, "2001:db8::/32"),
      OUTSIDE(2, "2a06:98c8::/29"),
      OUTSIDE(3, "2606:4700::/31"),
      OUTSIDE(4, "::1/128"),
    ]);
  });

  test("an IPv6 entry alone, outside, is refused; inside, it passes", () => {
    assert.deepEqual(errorsWith("cloudflare", { originCidrs: ["2001:db8::/48"] }), [OUTSIDE(0, "2001:db8::/48")]);
    assert.deepEqual(errorsWith("cloudflare", { originCidrs: ["2a06:98c0::/29", "2c0f:f248:1::/48"] }), []);
  });

  test("world-open IPv6 is refused as such", () => {
    assert.deepEqual(errorsWith("cloudflare", { originCidrs: ["::/0"] }), [
      "docstown:cloudflare.originCidrs[0]: must not open access to the whole internet (0.0.0.0/0 or ::/0)",
    ]);
  });
});

describe("operators.sshCidrs: the union of IPv6 sources is judged (policies/sources.ts through the config)", () => {
  test("two /48s, each allowed alone, together more than one /48", () => {
    assert.deepEqual(errorsWith("operators", { sshCidrs: ["2001:db8::/48"] }), []);
    assert.deepEqual(errorsWith("operators", { sshCidrs: ["2001:db8:1::/48"] }), []);
    assert.deepEqual(errorsWith("operators", { sshCidrs: ["2001:db8::/48", "2001:db8:1::/48"] }), [
      "docstown:operators.sshCidrs: together these networks cover 2417851639229258349412352 IPv6 addresses, more than one /48 " +
        "(1208925819614629174706176); see docstown:operators.broadestPrefix.ipv6",
    ]);
  });
});

describe("provider credentials in the stack config are refused, every one (src/config/secrets.ts)", () => {
  // The providers' credential keys and the variables they fall back to (pulumi-digitalocean's
  // `token`; pulumi-cloudflare's `apiToken`, `apiKey` and `apiUserServiceKey`). Pinned here, so
  // that dropping one from PROVIDER_CREDENTIALS fails rather than shrinking the loop.
  const CREDENTIALS: Record<string, string> = {
    "digitalocean:token": "DIGITALOCEAN_TOKEN",
    "cloudflare:apiToken": "CLOUDFLARE_API_TOKEN",
    "cloudflare:apiKey": "CLOUDFLARE_API_KEY",
    "cloudflare:apiUserServiceKey": "CLOUDFLARE_API_USER_SERVICE_KEY",
  };

  test("the list is pinned", () => {
    assert.deepEqual(PROVIDER_CREDENTIALS, CREDENTIALS);
  });

  for (const [key, variable] of Object.entries(CREDENTIALS)) {
    test(`${key}, plain or encrypted`, () => {
      assert.deepEqual(secretStorageProblems([{ key, secret: false }]), [
        `${key}: stored in plain text; remove it (pulumi config rm ${key}) and set ${variable} in the environment instead`,
      ]);
      assert.deepEqual(secretStorageProblems([{ key, secret: true }]), [
        `${key}: kept in the stack config, where whoever can decrypt the stack can use it; remove it (pulumi config rm ${key}) and set ${variable} in the environment instead`,
      ]);
    });
  }

  test("all of them at once, beside the program's own settings", () => {
    const stored = [{ key: "docstown:domain", secret: false }, ...Object.keys(CREDENTIALS).map((key) => ({ key, secret: true }))];
    assert.deepEqual(
      secretStorageProblems(stored).map((line) => line.split(":").slice(0, 2).join(":")),
      Object.keys(CREDENTIALS).sort((a, b) => a.localeCompare(b)),
    );
  });
});
