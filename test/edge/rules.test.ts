import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { productionSchema } from "../../src/config/schema";
import { githubOAuthCallbackUrl } from "../../src/edge/oauth";
import { ORIGIN_CERT_VALIDITY_DAYS, originHostnames } from "../../src/edge/origin-certificate";
import { caaRecords, recordProblems, webRecords, type DnsRecordSpec } from "../../src/edge/records";
import { txtContent, txtStrings, txtValue } from "../../src/edge/txt";
import { HSTS_OFF, ZONE_SWITCHES, zoneSettings } from "../../src/edge/zone-settings";

const cloudflareDefaults = () => productionSchema.shape.cloudflare.parse(undefined);

describe("txtContent", () => {
  it("quotes a value the way Cloudflare stores TXT content", () => {
    assert.equal(txtContent("v=spf1 ~all"), '"v=spf1 ~all"');
    assert.equal(txtValue(txtContent("v=spf1 ~all")), "v=spf1 ~all");
  });

  it("splits values over 255 bytes into several character-strings that concatenate back", () => {
    const key = `k=rsa;p=${"A".repeat(392)}`; // a 2048-bit DKIM key is about this long
    const content = txtContent(key);
    const strings = txtStrings(content);
    assert.deepEqual(strings.map((s) => s.length), [255, 145]);
    assert.equal(strings.join(""), key);
    assert.match(content, /^"k=rsa;p=A+" "A+"$/);
  });

  it("escapes quotes and backslashes, and never splits a multi-byte character", () => {
    assert.equal(txtContent('say "hi" \\o/'), '"say \\"hi\\" \\\\o/"');
    assert.equal(txtValue(txtContent('say "hi" \\o/')), 'say "hi" \\o/');
    const text = `${"a".repeat(254)}é${"b".repeat(10)}`;
    assert.deepEqual(txtStrings(txtContent(text)).map((s) => Buffer.byteLength(s)), [254, 12]);
  });

  it("refuses content that is not quoted", () => {
    assert.throws(() => txtStrings("v=spf1 ~all"), /not a quoted TXT content/);
  });
});

describe("webRecords", () => {
  it("proxies the apex A and the www alias with the automatic TTL", () => {
    assert.deepEqual(
      webRecords("DocsTown.org.", { ipv4: "203.0.113.7" }).map(({ key, type, name, content, proxied, ttl }) => ({ key, type, name, content, proxied, ttl })),
      [
        { key: "apex-a", type: "A", name: "docstown.org", content: "203.0.113.7", proxied: true, ttl: 1 },
        { key: "www-cname", type: "CNAME", name: "www.docstown.org", content: "docstown.org", proxied: true, ttl: 1 },
      ],
    );
  });

  it("adds a proxied AAAA only when there is an IPv6 address", () => {
    const aaaa = webRecords("docstown.org", { ipv4: "203.0.113.7", ipv6: "2001:db8::7" }).find((r) => r.type === "AAAA");
    assert.deepEqual(aaaa && { name: aaaa.name, content: aaaa.content, proxied: aaaa.proxied, ttl: aaaa.ttl }, {
      name: "docstown.org", content: "2001:db8::7", proxied: true, ttl: 1,
    });
  });
});

describe("caaRecords", () => {
  it("allows only the configured authorities, for names and wildcards", () => {
    const caa = caaRecords("docstown.org", ["letsencrypt.org", "pki.goog", "LetsEncrypt.org"]);
    assert.deepEqual(
      caa.map((r) => ({ key: r.key, name: r.name, data: r.data, proxied: r.proxied })),
      [
        { key: "caa-issue-letsencrypt-org", name: "docstown.org", data: { flags: 0, tag: "issue", value: "letsencrypt.org" }, proxied: false },
        { key: "caa-issue-pki-goog", name: "docstown.org", data: { flags: 0, tag: "issue", value: "pki.goog" }, proxied: false },
        { key: "caa-issuewild-letsencrypt-org", name: "docstown.org", data: { flags: 0, tag: "issuewild", value: "letsencrypt.org" }, proxied: false },
        { key: "caa-issuewild-pki-goog", name: "docstown.org", data: { flags: 0, tag: "issuewild", value: "pki.goog" }, proxied: false },
      ],
    );
  });
});

describe("recordProblems", () => {
  const record = (key: string, type: DnsRecordSpec["type"], name: string): DnsRecordSpec => ({ key, type, name, content: "x", proxied: false, ttl: 1, comment: "" });

  it("refuses a CNAME that shares its name with another record", () => {
    assert.deepEqual(recordProblems([record("www-cname", "CNAME", "www.docstown.org"), record("email-return-path-0", "TXT", "www.docstown.org")]), [
      "www.docstown.org has a CNAME (www-cname) and other records (email-return-path-0); a CNAME must stand alone",
    ]);
    assert.deepEqual(recordProblems([record("a", "TXT", "mail.docstown.org"), record("b", "MX", "mail.docstown.org")]), []);
  });

  it("refuses two records with one resource name", () => {
    assert.deepEqual(recordProblems([record("a", "TXT", "x.org"), record("a", "TXT", "y.org")]), ["two records are named a"]);
  });
});

describe("zoneSettings", () => {
  it("by default: Full (strict), HTTPS only, TLS >= 1.2, TLS 1.3 and HSTS in the API's snake_case", () => {
    assert.deepEqual(zoneSettings(cloudflareDefaults()), [
      { key: "ssl", settingId: "ssl", value: "strict" },
      { key: "always-use-https", settingId: "always_use_https", value: "on" },
      { key: "min-tls-version", settingId: "min_tls_version", value: "1.2" },
      { key: "tls-1-3", settingId: "tls_1_3", value: "on" },
      {
        key: "hsts",
        settingId: "security_header",
        value: { strict_transport_security: { enabled: true, max_age: 31536000, include_subdomains: true, nosniff: true, preload: false } },
      },
    ]);
  });

  it("each switch off sets its own setting's off value and leaves the other four as they were", () => {
    const on = zoneSettings(cloudflareDefaults());
    const offValues = {
      sslStrict: ["ssl", "full"],
      alwaysUseHttps: ["always_use_https", "off"],
      minTls12: ["min_tls_version", "1.0"],
      tls13: ["tls_1_3", "off"],
      hsts: ["security_header", { strict_transport_security: { enabled: true, max_age: 0, include_subdomains: false, nosniff: false, preload: false } }],
    } as const;
    for (const [flag, [settingId, off]] of Object.entries(offValues)) {
      const settings = zoneSettings({ ...cloudflareDefaults(), [flag]: false });
      // The same five settings under the same keys: off is an update of the resource, never a delete.
      assert.deepEqual(settings.map((s) => [s.key, s.settingId]), on.map((s) => [s.key, s.settingId]), flag);
      for (const [i, s] of settings.entries()) {
        assert.deepEqual(s.value, s.settingId === settingId ? off : on[i]?.value, `${flag} off: ${s.settingId}`);
      }
    }
  });

  it("everything off still declares all five settings, each at its off value", () => {
    const off = zoneSettings({ ...cloudflareDefaults(), sslStrict: false, alwaysUseHttps: false, minTls12: false, tls13: false, hsts: false });
    assert.deepEqual(Object.fromEntries(off.map((s) => [s.settingId, s.value])), {
      ssl: "full",
      always_use_https: "off",
      min_tls_version: "1.0",
      tls_1_3: "off",
      security_header: { strict_transport_security: { ...HSTS_OFF } },
    });
    // Cloudflare's documented way to switch HSTS off: a max-age of 0 makes browsers forget it.
    assert.equal(HSTS_OFF.max_age, 0);
    assert.deepEqual(Object.keys(ZONE_SWITCHES).sort(), ["alwaysUseHttps", "minTls12", "sslStrict", "tls13"]);
  });
});

describe("origin certificate and OAuth callback", () => {
  it("covers the apex and its subdomains for 15 years", () => {
    assert.deepEqual(originHostnames("DocsTown.org"), ["*.docstown.org", "docstown.org"]);
    assert.equal(ORIGIN_CERT_VALIDITY_DAYS, 5475);
  });

  it("derives the GitHub callback from the domain", () => {
    assert.equal(githubOAuthCallbackUrl("docstown.org"), "https://docstown.org/auth/github/callback");
    assert.equal(githubOAuthCallbackUrl("Staging.DocsTown.org."), "https://staging.docstown.org/auth/github/callback");
  });
});
