import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { formatReport } from "../../src/verify/checklist";
import { makeTestPki, type TestPki } from "./support/pki";
import { DOMAIN, detail, runScenario, sentrySummary } from "./support/scenario";

let dir: string;
let pki: TestPki;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "verify-site-"));
  pki = makeTestPki(dir, DOMAIN);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const ALL = ["https-up", "http-redirect", "tls-certificate", "hsts", "dns-apex", "dns-spf", "dns-dkim", "dns-bounce", "dns-dmarc"];

describe("runVerify against a live (loopback) site", { timeout: 25_000 }, () => {
  it("healthy target: every check passes, one ok check-in and no event", async () => {
    const { report, sentry, failed } = await runScenario({ pair: pki.fresh, caPem: pki.caPem, options: { stack: "production" } });
    assert.deepEqual(failed, []);
    assert.deepEqual(report.checks.map((c) => [c.id, c.status]), ALL.map((id) => [id, "pass"]));
    assert.equal(report.ok, true);
    assert.match(detail(report, "https-up"), /^200 in \d+ ms$/);
    assert.match(detail(report, "http-redirect"), /^301 → https:\/\/docstown\.test\/$/);
    assert.match(detail(report, "tls-certificate"), /^docstown\.test, issued by DocsTown Test CA, valid until \d{4}-\d\d-\d\d \((89|90) days\)$/);
    assert.equal(detail(report, "dns-apex"), "docstown.test → 127.0.0.1");
    assert.deepEqual(sentrySummary(sentry), [
      { type: "check_in", monitor: "docstown-verify-production", status: "ok", environment: "production" },
    ]);
    assert.equal(report.sentry?.flushed, true);
    const lines = formatReport(report);
    assert.equal(lines.length, ALL.length + 2);
    assert.ok(lines.slice(0, ALL.length).every((l) => l.startsWith("✔ ")), lines.join("\n"));
  });

  it("expired certificate: TLS and the HTTPS checks fail, one error check-in and one event", async () => {
    const { report, sentry, failed } = await runScenario({ pair: pki.expired, caPem: pki.caPem });
    assert.deepEqual(failed, ["https-up", "tls-certificate", "hsts"]);
    assert.equal(detail(report, "tls-certificate"), "expired on 2020-02-01");
    assert.match(detail(report, "https-up"), /certificate has expired/);
    assert.deepEqual(sentrySummary(sentry), [
      { type: "check_in", monitor: "docstown-verify-docstown-test", status: "error", environment: undefined },
      { type: "event", level: "error", message: "docstown verify failed for docstown.test: https-up, tls-certificate, hsts" },
    ]);
    assert.ok(formatReport(report).includes("✘ TLS certificate — expired on 2020-02-01"));
  });

  it("/up answering 500 fails only that check", async () => {
    const { report, sentry, failed } = await runScenario({ pair: pki.fresh, caPem: pki.caPem, site: { up: 500 } });
    assert.deepEqual(failed, ["https-up"]);
    assert.equal(detail(report, "https-up"), "answered 500, expected 200");
    assert.deepEqual(sentrySummary(sentry), [
      { type: "check_in", monitor: "docstown-verify-docstown-test", status: "error", environment: undefined },
      { type: "event", level: "error", message: "docstown verify failed for docstown.test: https-up" },
    ]);
  });

  it("a server that never answers fails within the time budget", async () => {
    const { report, sentry, failed, elapsedMs } = await runScenario({
      pair: pki.fresh,
      caPem: pki.caPem,
      site: { up: "hang" },
      options: { timeoutMs: 400 },
    });
    assert.deepEqual(failed, ["https-up", "hsts"]);
    assert.match(detail(report, "https-up"), /no answer within 400 ms/);
    assert.ok(report.durationMs < 400 + 600, `checks took ${report.durationMs} ms`);
    assert.ok(elapsedMs < 3000, `verify with Sentry took ${elapsedMs} ms`);
    assert.deepEqual(sentrySummary(sentry).map((i) => i.type === "event" && i.message), [
      false,
      "docstown verify failed for docstown.test: https-up, hsts",
    ]);
  });

  it("a certificate expiring within --min-cert-days fails", async () => {
    const { report, failed } = await runScenario({ pair: pki.expiringSoon, caPem: pki.caPem });
    assert.deepEqual(failed, ["tls-certificate"]);
    assert.match(detail(report, "tls-certificate"), /^expires in 5 days \(\d{4}-\d\d-\d\d\), below the 14-day minimum$/);
    const relaxed = await runScenario({ pair: pki.expiringSoon, caPem: pki.caPem, options: { minCertDays: 3 } });
    assert.deepEqual(relaxed.failed, []);
  });

  it("a certificate for another name, or from an untrusted CA, fails", async () => {
    const other = await runScenario({ pair: pki.otherHost, caPem: pki.caPem });
    assert.deepEqual(other.failed, ["https-up", "tls-certificate", "hsts"]);
    assert.match(detail(other.report, "tls-certificate"), /Host: docstown\.test\. is not in the cert's altnames: DNS:other\.docstown\.test/);
    const untrusted = await runScenario({ pair: pki.fresh, caPem: pki.caPem, options: { ca: [] } });
    assert.deepEqual(untrusted.failed, ["https-up", "tls-certificate", "hsts"]);
    assert.match(detail(untrusted.report, "tls-certificate"), /^chain does not verify: UNABLE_TO_VERIFY_LEAF_SIGNATURE$/);
  });

  it("HTTP must redirect to https://<domain>/", async () => {
    const plain = await runScenario({ pair: pki.fresh, caPem: pki.caPem, redirect: { status: 200 } });
    assert.deepEqual(plain.failed, ["http-redirect"]);
    assert.equal(detail(plain.report, "http-redirect"), "answered 200, expected a redirect to https://docstown.test/");
    const elsewhere = await runScenario({ pair: pki.fresh, caPem: pki.caPem, redirect: { status: 302, location: "http://docstown.test/" } });
    assert.equal(detail(elsewhere.report, "http-redirect"), "302 to http://docstown.test/, expected https://docstown.test/");
  });

  it("HSTS must be present with max-age of at least 180 days", async () => {
    const none = await runScenario({ pair: pki.fresh, caPem: pki.caPem, site: { hsts: "" } });
    assert.deepEqual(none.failed, ["hsts"]);
    assert.equal(detail(none.report, "hsts"), "no Strict-Transport-Security header on the HTTPS answer");
    const short = await runScenario({ pair: pki.fresh, caPem: pki.caPem, site: { hsts: "max-age=86400" } });
    assert.equal(detail(short.report, "hsts"), "max-age=86400 is below 15552000 (180 days)");
  });

  it("the optional health URL must answer 200", async () => {
    const url = `https://${DOMAIN}/health`;
    const sick = await runScenario({ pair: pki.fresh, caPem: pki.caPem, site: { health: 503 }, options: { healthUrl: url } });
    assert.deepEqual(sick.failed, ["health"]);
    assert.equal(detail(sick.report, "health"), "answered 503, expected 200");
    const well = await runScenario({ pair: pki.fresh, caPem: pki.caPem, site: { health: 200 }, options: { healthUrl: url } });
    assert.deepEqual(well.failed, []);
    assert.equal(well.report.checks.at(-1)?.id, "health");
  });
});
