import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDmarc } from "../../src/email/dmarc";
import { parseSpf, spfIncludes } from "../../src/email/spf";

describe("parseSpf", () => {
  it("accepts a well-formed record and counts its lookups", () => {
    const spf = parseSpf("v=spf1 include:_spf.google.com a mx ip4:192.0.2.0/24 ip6:2001:db8::/32 -all");
    assert.deepEqual(spf.problems, []);
    assert.equal(spf.ok, true);
    assert.equal(spf.lookups, 3);
    assert.deepEqual(spfIncludes(spf), ["_spf.google.com"]);
    assert.deepEqual(spf.mechanisms.at(-1), { qualifier: "-", name: "all" });
    assert.deepEqual(spf.mechanisms[3], { qualifier: "+", name: "ip4", value: "192.0.2.0/24" });
  });

  it("allows exactly 10 lookups and rejects 11", () => {
    const includes = (n: number) => Array.from({ length: n }, (_, i) => `include:s${i}.example.com`).join(" ");
    assert.equal(parseSpf(`v=spf1 ${includes(10)} ~all`).ok, true);
    const eleven = parseSpf(`v=spf1 ${includes(9)} mx redirect=_spf.example.com ~all`);
    assert.equal(eleven.ok, false);
    assert.equal(eleven.lookups, 11);
    assert.deepEqual(eleven.problems, ["11 DNS-lookup terms (include, a, mx, ptr, exists, redirect); at most 10 are allowed"]);
  });

  it("rejects two v=spf1, in one string or as two records", () => {
    assert.deepEqual(parseSpf("v=spf1 include:a.example ~all v=spf1 -all").problems.slice(0, 1), [
      "v=spf1 appears 2 times; a record has exactly one",
    ]);
    const two = parseSpf(["v=spf1 ~all", "google-site-verification=abc", "v=spf1 -all"]);
    assert.deepEqual(two.problems, ["2 SPF records published; there must be exactly one (RFC 7208 §4.5)"]);
    assert.equal(parseSpf(["google-site-verification=abc", "v=spf1 -all"]).ok, true);
    assert.deepEqual(parseSpf(["google-site-verification=abc"]).problems, ["no SPF record (a TXT record starting with v=spf1)"]);
  });

  it("rejects a missing, permissive or misplaced all", () => {
    assert.deepEqual(parseSpf("v=spf1 include:_spf.google.com").problems, ["must end with ~all or -all (no all mechanism)"]);
    assert.deepEqual(parseSpf("v=spf1 +all").problems, ["ends with +all; must be ~all or -all"]);
    assert.deepEqual(parseSpf("v=spf1 ?all").problems, ["ends with ?all; must be ~all or -all"]);
    assert.deepEqual(parseSpf("v=spf1 -all include:x.example").problems, ["terms after all are never evaluated; all must come last"]);
  });

  it("rejects a record without v=spf1 first, unknown terms and empty includes", () => {
    assert.deepEqual(parseSpf("include:x.example ~all").problems, ["must start with v=spf1"]);
    assert.deepEqual(parseSpf("v=spf1 inclde:x.example ~all").problems, ['unknown term "inclde:x.example"']);
    assert.deepEqual(parseSpf("v=spf1 include ~all").problems, ['"include" needs include:<value>']);
  });
});

describe("parseDmarc", () => {
  it("accepts a well-formed record and reads its tags", () => {
    const dmarc = parseDmarc("v=DMARC1; p=quarantine; rua=mailto:dmarc@docstown.org", { reportEmail: "dmarc@docstown.org" });
    assert.deepEqual(dmarc.problems, []);
    assert.equal(dmarc.policy, "quarantine");
    assert.deepEqual(dmarc.reportUris, ["mailto:dmarc@docstown.org"]);
  });

  it("rejects a bad or missing policy", () => {
    assert.deepEqual(parseDmarc("v=DMARC1; p=block").problems, ["p=block is not a policy; must be one of none, quarantine, reject"]);
    assert.deepEqual(parseDmarc("v=DMARC1; rua=mailto:a@b.example").problems, ["missing p= (policy)"]);
    assert.deepEqual(parseDmarc("v=DMARC1; p=none; sp=maybe").problems, ["sp=maybe must be one of none, quarantine, reject"]);
  });

  it("requires v=DMARC1 first", () => {
    assert.deepEqual(parseDmarc("p=reject; v=DMARC1").problems, ["must start with v=DMARC1"]);
    assert.deepEqual(parseDmarc(["p=reject; v=DMARC1"]).problems, ["no DMARC record (a TXT record starting with v=DMARC1)"]);
  });

  it("requires rua=mailto: when a report address is expected", () => {
    assert.deepEqual(parseDmarc("v=DMARC1; p=reject", { reportEmail: "dmarc@docstown.org" }).problems, [
      "rua= must include mailto:dmarc@docstown.org",
    ]);
    assert.deepEqual(parseDmarc("v=DMARC1; p=reject; rua=https://r.example/x").problems, [
      'rua entry "https://r.example/x" must be mailto:<address>',
    ]);
  });

  it("checks the configured policy, alignment tags and duplicates", () => {
    assert.deepEqual(parseDmarc("v=DMARC1; p=none", { policy: "reject" }).problems, ["p=none but the configured policy is reject"]);
    assert.deepEqual(parseDmarc("v=DMARC1; p=none; adkim=x; pct=101").problems, ["adkim=x must be r or s", "pct=101 must be 0-100"]);
    assert.deepEqual(parseDmarc(["v=DMARC1; p=none", "v=DMARC1; p=reject"]).problems, [
      "2 DMARC records published; receivers ignore all of them",
    ]);
  });
});
