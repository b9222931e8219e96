import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { emailSchema } from "../../src/email/schema";
import { makeTestPki, type TestPki } from "./support/pki";
import { DKIM_KEY, DOMAIN, detail, healthyDns, runScenario, sentrySummary } from "./support/scenario";
import type { DnsTable } from "./support/servers";

let dir: string;
let pki: TestPki;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "verify-dns-"));
  pki = makeTestPki(dir, DOMAIN);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const withDns = (change: (table: DnsTable) => void) => {
  const table = healthyDns();
  change(table);
  return runScenario({ pair: pki.fresh, caPem: pki.caPem, dns: table });
};

describe("runVerify DNS checks against a dns-packet server", { timeout: 25_000 }, () => {
  it("missing DMARC fails that check, reported as one event", async () => {
    const { report, sentry, failed } = await withDns((t) => delete t[`_dmarc.${DOMAIN}`]);
    assert.deepEqual(failed, ["dns-dmarc"]);
    assert.equal(detail(report, "dns-dmarc"), "_dmarc.docstown.test does not exist (NXDOMAIN)");
    assert.deepEqual(sentrySummary(sentry), [
      { type: "check_in", monitor: "docstown-verify-docstown-test", status: "error", environment: undefined },
      { type: "event", level: "error", message: "docstown verify failed for docstown.test: dns-dmarc" },
    ]);
  });

  it("a DMARC record with a bad policy, the wrong policy or no rua fails", async () => {
    const bad = await withDns((t) => (t[`_dmarc.${DOMAIN}`] = [{ type: "TXT", data: "v=DMARC1; p=block" }]));
    assert.equal(
      detail(bad.report, "dns-dmarc"),
      "_dmarc.docstown.test: p=block is not a policy; must be one of none, quarantine, reject; rua= must include mailto:dmarc@docstown.test",
    );
    const drift = await withDns((t) => (t[`_dmarc.${DOMAIN}`] = [{ type: "TXT", data: "v=DMARC1; p=none; rua=mailto:dmarc@docstown.test" }]));
    assert.equal(detail(drift.report, "dns-dmarc"), "_dmarc.docstown.test: p=none but the configured policy is quarantine");
  });

  it("SPF: two records, too many lookups or a missing include fail", async () => {
    const two = await withDns((t) => t[DOMAIN]?.push({ type: "TXT", data: "v=spf1 -all" }));
    assert.deepEqual(two.failed, ["dns-spf"]);
    assert.equal(detail(two.report, "dns-spf"), "docstown.test: 2 SPF records published; there must be exactly one (RFC 7208 §4.5)");

    const includes = Array.from({ length: 11 }, (_, i) => `include:s${i}.example.com`).join(" ");
    const many = await withDns((t) => (t[DOMAIN] = [{ type: "A", data: "127.0.0.1" }, { type: "TXT", data: `v=spf1 ${includes} ~all` }]));
    assert.match(detail(many.report, "dns-spf"), /11 DNS-lookup terms .* at most 10 are allowed; include:_spf\.google\.com is missing$/);

    const none = await withDns((t) => (t[DOMAIN] = [{ type: "A", data: "127.0.0.1" }]));
    assert.equal(detail(none.report, "dns-spf"), "no TXT record at docstown.test");
  });

  it("DKIM and Return-Path must match what the provider handed out", async () => {
    const wrongKey = await withDns((t) => (t[`20250101123456pm._domainkey.${DOMAIN}`] = [{ type: "TXT", data: "k=rsa;p=AAAA" }]));
    assert.deepEqual(wrongKey.failed, ["dns-dkim"]);
    assert.match(detail(wrongKey.report, "dns-dkim"), /^20250101123456pm\._domainkey\.docstown\.test has no TXT "k=rsa;p=/);

    const missing = await withDns((t) => delete t[`pm-bounces.${DOMAIN}`]);
    assert.deepEqual(missing.failed, ["dns-bounce"]);
    assert.equal(detail(missing.report, "dns-bounce"), "pm-bounces.docstown.test does not exist (NXDOMAIN)");

    const elsewhere = await withDns((t) => (t[`pm-bounces.${DOMAIN}`] = [{ type: "CNAME", data: "bounces.example.net" }]));
    assert.equal(detail(elsewhere.report, "dns-bounce"), "pm-bounces.docstown.test CNAME is bounces.example.net, expected pm.mtasv.net");
  });

  it("an apex without A/AAAA fails; AAAA alone is enough", async () => {
    const bare = await withDns((t) => (t[DOMAIN] = (t[DOMAIN] ?? []).filter((a) => a.type !== "A")));
    assert.deepEqual(bare.failed, ["dns-apex"]);
    assert.equal(detail(bare.report, "dns-apex"), "no A/AAAA record at docstown.test");
    const v6 = await withDns((t) => (t[DOMAIN] = [...(t[DOMAIN] ?? []).filter((a) => a.type !== "A"), { type: "AAAA", data: "::1" }]));
    assert.equal(detail(v6.report, "dns-apex"), "docstown.test → ::1");
  });

  it("SES: three DKIM CNAMEs plus the MAIL FROM MX and SPF", async () => {
    const tokens = ["hirjd4exly4vwwh7ozt5ye3lghpz52ap", "jmyg3ra3xkd7vjy7oq7ikgpc7ylwcdr7", "6xzofwy7hbqbcsn3dgxfq4ikq2jpkcsq"];
    const email = emailSchema.parse({
      provider: "ses",
      mailerFrom: `bot@${DOMAIN}`,
      region: "us-east-1",
      dkimTokens: tokens,
      mailFromSubdomain: "mail",
      dmarc: { policy: "reject" },
    });
    const table: DnsTable = {
      [DOMAIN]: [{ type: "A", data: "127.0.0.1" }, { type: "TXT", data: "v=spf1 ~all" }],
      [`mail.${DOMAIN}`]: [
        { type: "MX", data: { preference: 10, exchange: "feedback-smtp.us-east-1.amazonses.com" } },
        { type: "TXT", data: "v=spf1 include:amazonses.com ~all" },
      ],
      [`_dmarc.${DOMAIN}`]: [{ type: "TXT", data: "v=DMARC1; p=reject" }],
    };
    for (const t of tokens) table[`${t}._domainkey.${DOMAIN}`] = [{ type: "CNAME", data: `${t}.dkim.amazonses.com` }];
    const good = await runScenario({ pair: pki.fresh, caPem: pki.caPem, dns: table, options: { email } });
    assert.deepEqual(good.failed, []);
    assert.match(detail(good.report, "dns-dkim"), /^(CNAME \S+\._domainkey\.docstown\.test, ){2}CNAME \S+$/);
    assert.equal(detail(good.report, "dns-bounce"), "MX mail.docstown.test, TXT mail.docstown.test");

    table[`mail.${DOMAIN}`] = [{ type: "MX", data: { preference: 20, exchange: "feedback-smtp.us-east-1.amazonses.com" } }];
    delete table[`${tokens[2]}._domainkey.${DOMAIN}`];
    const broken = await runScenario({ pair: pki.fresh, caPem: pki.caPem, dns: table, options: { email } });
    assert.deepEqual(broken.failed, ["dns-dkim", "dns-bounce"]);
    assert.equal(
      detail(broken.report, "dns-bounce"),
      "mail.docstown.test MX is 20 feedback-smtp.us-east-1.amazonses.com, expected 10 feedback-smtp.us-east-1.amazonses.com; no TXT record at mail.docstown.test",
    );
  });

  it("without email config the email checks are skipped, not failed", async () => {
    const { report, failed } = await runScenario({ pair: pki.fresh, caPem: pki.caPem, options: { email: undefined } });
    assert.deepEqual(failed, []);
    assert.deepEqual(report.checks.map((c) => c.id), ["https-up", "http-redirect", "tls-certificate", "hsts", "dns-apex", "email-dns"]);
    assert.equal(report.checks.at(-1)?.status, "skip");
    assert.equal(report.ok, true);
  });

  it("an email config for another domain is a failed check, not a crash", async () => {
    const email = emailSchema.parse({ provider: "ses", mailerFrom: "a@elsewhere.example", region: "us-east-1", dkimTokens: ["a1", "b2", "c3"] });
    const { report, failed } = await runScenario({ pair: pki.fresh, caPem: pki.caPem, options: { email } });
    assert.deepEqual(failed, ["email-dns"]);
    assert.equal(
      detail(report, "email-dns"),
      "docstown:email.mailerFrom: must be an address at docstown.test or a subdomain of it (got elsewhere.example)",
    );
  });

  it("a DNS server that never answers fails within the budget", async () => {
    const silent = createSocket("udp4");
    await new Promise<void>((resolve) => silent.bind(0, "127.0.0.1", () => resolve()));
    try {
      const { report, failed } = await runScenario({
        pair: pki.fresh,
        caPem: pki.caPem,
        options: { resolver: `127.0.0.1:${silent.address().port}`, timeoutMs: 500 },
      });
      assert.deepEqual(failed, ["dns-apex", "dns-spf", "dns-dkim", "dns-bounce", "dns-dmarc"]);
      assert.ok(report.durationMs < 1500, `took ${report.durationMs} ms`);
    } finally {
      silent.close();
    }
  });
});

// Keep the generated key in use so the DKIM TXT above really spans several 255-byte strings.
assert.ok(`k=rsa;p=${DKIM_KEY}`.length > 255);
