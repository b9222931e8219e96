import assert from "node:assert/strict";
import { resolve } from "node:path";
import { before, describe, it } from "node:test";
import { productionSchema } from "../../src/config/schema";
import { SECRET_KEYS } from "../../src/config/secrets";
import { validateConfig } from "../../src/config/validate";
import { Edge } from "../../src/edge/edge";
import { txtValue } from "../../src/edge/txt";
import { parseDmarc } from "../../src/email/dmarc";
import { parseSpf } from "../../src/email/spf";
import { compareGraphs, formatChanges } from "../../src/synth/compare";
import type { RecordedResource, SynthResult } from "../../src/synth/recorder";
import { readStackFile } from "../../src/synth/stack-file";
import { PROJECT_DIR, byType, isSecretPath, one, recordProgram, synthStack } from "../harness";

const DNS = "cloudflare:index/dnsRecord:DnsRecord";
const SETTING = "cloudflare:index/zoneSetting:ZoneSetting";
const KEY = "tls:index/privateKey:PrivateKey";
const CSR = "tls:index/certRequest:CertRequest";
const CERT = "cloudflare:index/originCaCertificate:OriginCaCertificate";

const record = (result: SynthResult, suffix: string): RecordedResource => {
  const found = byType(result, DNS).filter((r) => r.name.endsWith(`-${suffix}`));
  assert.equal(found.length, 1, `one DnsRecord *-${suffix}, found ${byType(result, DNS).map((r) => r.name).join(", ")}`);
  return found[0] as RecordedResource;
};

/** What a DNS user sees of a record: no ids, no comments. */
const shape = (r: RecordedResource) => {
  const { type, name, content, proxied, ttl, priority } = r.inputs;
  return priority === undefined ? { type, name, content, proxied, ttl } : { type, name, content, proxied, ttl, priority };
};

const emailRecords = (result: SynthResult) => byType(result, DNS).filter((r) => /-email-/.test(r.name));

const settingsOf = (result: SynthResult) => Object.fromEntries(byType(result, SETTING).map((s) => [s.inputs["settingId"], s.inputs["value"]]));

// SES and SendGrid fixtures with the values those consoles hand out.
const ses = {
  provider: "ses",
  mailerFrom: "DocsTown <notifications@docstown.org>",
  region: "eu-west-1",
  dkimTokens: ["hirjd4exly4vwwh7ozt5ye3lghpz52ap", "jmyg3ra3xkd7vjy7oq7ikgpc7ylwcdr7", "6xzofwy7hbqbcsn3dgxfq4ikq2jpkcsq"],
  mailFromSubdomain: "mail",
  spfIncludes: ["_spf.google.com"],
  spfAll: "-all",
  dmarc: { policy: "reject", reportEmail: "dmarc@docstown.org" },
};
const sendgrid = {
  provider: "sendgrid",
  mailerFrom: "notifications@docstown.org",
  userId: 58404708,
  whitelabelNumber: "209",
  returnPathSubdomain: "em4752",
  brandSubdomain: "url9958",
  dmarc: { policy: "none" },
};

describe("edge in the production stack (committed config)", () => {
  let result: SynthResult;
  before(async () => {
    result = await synthStack("production");
  });

  it("points the proxied apex A record at the reserved IP, automatic TTL", () => {
    const a = record(result, "apex-a");
    const reservedIp = one(result, "digitalocean:index/reservedIp:ReservedIp");
    assert.deepEqual(shape(a), { type: "A", name: "docstown.org", content: result.outputs["publicIp"], proxied: true, ttl: 1 });
    assert.match(String(a.inputs["content"]), /^\d+\.\d+\.\d+\.\d+$/);
    assert.ok(a.propertyDependencies["content"]?.includes(reservedIp.urn), "the A record must follow the reserved IP, not the droplet");
  });

  it("aliases www to the apex, proxied; no AAAA while IPv6 is off", () => {
    assert.deepEqual(shape(record(result, "www-cname")), { type: "CNAME", name: "www.docstown.org", content: "docstown.org", proxied: true, ttl: 1 });
    assert.equal(byType(result, DNS).filter((r) => r.inputs["type"] === "AAAA").length, 0);
  });

  it("publishes CAA issue and issuewild for exactly the configured authorities", () => {
    const caa = byType(result, DNS).filter((r) => r.inputs["type"] === "CAA");
    const entries = caa.map((r) => {
      const data = r.inputs["data"] as { flags: number; tag: string; value: string };
      assert.equal(r.inputs["name"], "docstown.org");
      assert.equal(r.inputs["proxied"], false);
      assert.equal(data.flags, 0);
      return `${data.tag} ${data.value}`;
    });
    assert.deepEqual(entries.sort(), [
      "issue letsencrypt.org", "issue pki.goog", "issue ssl.com",
      "issuewild letsencrypt.org", "issuewild pki.goog", "issuewild ssl.com",
    ]);
  });

  it("every record lives in the zone looked up by name and is deleted before it is replaced", () => {
    for (const r of byType(result, DNS)) {
      assert.match(String(r.inputs["zoneId"]), /^[0-9a-f]{32}$/, r.name);
      assert.equal(r.options.deleteBeforeReplace, true, `${r.name} must delete first (brief §4)`);
    }
    assert.equal(new Set(byType(result, DNS).map((r) => r.inputs["zoneId"])).size, 1);
  });

  it("sets Full (strict), Always HTTPS, TLS >= 1.2, TLS 1.3 and HSTS on the zone", () => {
    assert.deepEqual(settingsOf(result), {
      ssl: "strict",
      always_use_https: "on",
      min_tls_version: "1.2",
      tls_1_3: "on",
      security_header: { strict_transport_security: { enabled: true, max_age: 31536000, include_subdomains: true, nosniff: true, preload: false } },
    });
  });

  it("signs the Origin CA certificate from a CSR made with the program's own ECDSA key", () => {
    const key = one(result, KEY, "-origin-key");
    const csr = one(result, CSR, "-origin-csr");
    const cert = one(result, CERT);
    assert.deepEqual({ algorithm: key.inputs["algorithm"], curve: key.inputs["ecdsaCurve"] }, { algorithm: "ECDSA", curve: "P256" });
    assert.deepEqual(csr.propertyDependencies["privateKeyPem"], [key.urn]);
    assert.ok(isSecretPath(csr, "privateKeyPem"), "the key reaches the CSR as a secret");
    assert.deepEqual(cert.propertyDependencies["csr"], [csr.urn]);
    assert.match(String(cert.inputs["csr"]), /BEGIN CERTIFICATE REQUEST/);
    assert.deepEqual(cert.inputs["hostnames"], ["*.docstown.org", "docstown.org"]);
    assert.equal(cert.inputs["requestType"], "origin-ecc");
    assert.equal(cert.inputs["requestedValidity"], 5475);
  });

  it("exports the GitHub OAuth callback URL and never the origin key", () => {
    assert.equal(result.outputs["githubOAuthCallbackUrl"], "https://docstown.org/auth/github/callback");
    assert.ok(!JSON.stringify(result.outputs).includes("PRIVATE KEY"), "the origin key must not be a stack output");
  });

  it("publishes exactly Postmark's records, unproxied, TXT quoted", () => {
    const dkimKey = (readStackFile(resolve(PROJECT_DIR, "Pulumi.production.yaml"), true).config["docstown:email"] ?? "").match(/"dkimPublicKey":"([^"]+)"/)?.[1];
    assert.ok(dkimKey);
    const found = emailRecords(result);
    assert.deepEqual(found.map((r) => r.name.replace(/^docstown-/, "")).sort(), ["email-dkim-0", "email-dmarc-0", "email-return-path-0", "email-spf-0"]);
    assert.deepEqual(shape(record(result, "email-spf-0")), { type: "TXT", name: "docstown.org", content: '"v=spf1 ~all"', proxied: false, ttl: 3600 });
    assert.deepEqual(shape(record(result, "email-dkim-0")), {
      type: "TXT", name: "20250101000000pm._domainkey.docstown.org", content: `"k=rsa;p=${dkimKey}"`, proxied: false, ttl: 3600,
    });
    assert.deepEqual(shape(record(result, "email-return-path-0")), { type: "CNAME", name: "pm-bounces.docstown.org", content: "pm.mtasv.net", proxied: false, ttl: 3600 });
    assert.deepEqual(shape(record(result, "email-dmarc-0")), {
      type: "TXT", name: "_dmarc.docstown.org", content: '"v=DMARC1; p=quarantine; rua=mailto:dmarc@docstown.org"', proxied: false, ttl: 3600,
    });
  });

  it("the SPF and DMARC values in the graph pass the parsers", () => {
    const spf = parseSpf(txtValue(String(record(result, "email-spf-0").inputs["content"])));
    assert.deepEqual(spf.problems, []);
    const dmarc = parseDmarc(txtValue(String(record(result, "email-dmarc-0").inputs["content"])), { reportEmail: "dmarc@docstown.org", policy: "quarantine" });
    assert.deepEqual(dmarc.problems, []);
  });
});

describe("edge with other settings", () => {
  it("each zone switch off sets its off value on the same resource: nothing added, nothing removed", async () => {
    const on = await synthStack("production");
    const urnsOf = (r: SynthResult) => byType(r, SETTING).map((s) => s.urn).sort();
    const off = await synthStack("production", {
      "docstown:cloudflare": JSON.stringify({ sslStrict: false, alwaysUseHttps: false, minTls12: false, tls13: false, hsts: false }),
    });
    assert.deepEqual(settingsOf(off), {
      ssl: "full",
      always_use_https: "off",
      min_tls_version: "1.0",
      tls_1_3: "off",
      security_header: { strict_transport_security: { enabled: true, max_age: 0, include_subdomains: false, nosniff: false, preload: false } },
    });
    assert.deepEqual(urnsOf(off), urnsOf(on));
    // Toggling changes the settings' values and nothing else in the graph: no URN appears or goes.
    const changes = compareGraphs(on, off);
    assert.deepEqual(changes.filter((c) => c.kind !== "changed"), [], formatChanges(changes));
    assert.deepEqual(
      changes.map((c) => [c.urn.split("::").pop(), c.keys]),
      ["always-use-https", "hsts", "min-tls-version", "ssl", "tls-1-3"].map((k) => [`docstown-setting-${k}`, ["value"]]),
    );

    const longer = await synthStack("production", { "docstown:cloudflare": JSON.stringify({ hstsMaxAgeSeconds: 63072000 }) });
    assert.deepEqual(settingsOf(longer)["security_header"], {
      strict_transport_security: { enabled: true, max_age: 63072000, include_subdomains: true, nosniff: true, preload: false },
    });
  });

  it("uses a configured zone id instead of looking the zone up, and the configured CAA issuers", async () => {
    const zoneId = "0123456789abcdef0123456789abcdef";
    const result = await synthStack("production", { "docstown:cloudflare": JSON.stringify({ zoneId, caaIssuers: ["letsencrypt.org"] }) });
    for (const r of [...byType(result, DNS), ...byType(result, SETTING)]) assert.equal(r.inputs["zoneId"], zoneId, r.name);
    assert.deepEqual(
      byType(result, DNS).filter((r) => r.inputs["type"] === "CAA").map((r) => (r.inputs["data"] as { value: string }).value),
      ["letsencrypt.org", "letsencrypt.org"],
    );
  });

  it("SES: three DKIM CNAMEs, the MAIL FROM MX with priority and its SPF, apex SPF and DMARC", async () => {
    const result = await synthStack("production", { "docstown:email": JSON.stringify(ses) });
    const records = emailRecords(result);
    assert.ok(records.every((r) => r.inputs["proxied"] === false && r.options.deleteBeforeReplace === true));
    assert.deepEqual(
      Object.fromEntries(records.map((r) => [r.name.replace(/^docstown-/, ""), shape(r)])),
      {
        "email-spf-0": { type: "TXT", name: "docstown.org", content: '"v=spf1 include:_spf.google.com -all"', proxied: false, ttl: 3600 },
        "email-dkim-0": { type: "CNAME", name: "hirjd4exly4vwwh7ozt5ye3lghpz52ap._domainkey.docstown.org", content: "hirjd4exly4vwwh7ozt5ye3lghpz52ap.dkim.amazonses.com", proxied: false, ttl: 3600 },
        "email-dkim-1": { type: "CNAME", name: "jmyg3ra3xkd7vjy7oq7ikgpc7ylwcdr7._domainkey.docstown.org", content: "jmyg3ra3xkd7vjy7oq7ikgpc7ylwcdr7.dkim.amazonses.com", proxied: false, ttl: 3600 },
        "email-dkim-2": { type: "CNAME", name: "6xzofwy7hbqbcsn3dgxfq4ikq2jpkcsq._domainkey.docstown.org", content: "6xzofwy7hbqbcsn3dgxfq4ikq2jpkcsq.dkim.amazonses.com", proxied: false, ttl: 3600 },
        "email-mail-from-0": { type: "MX", name: "mail.docstown.org", content: "feedback-smtp.eu-west-1.amazonses.com", proxied: false, ttl: 3600, priority: 10 },
        "email-mail-from-1": { type: "TXT", name: "mail.docstown.org", content: '"v=spf1 include:amazonses.com ~all"', proxied: false, ttl: 3600 },
        "email-dmarc-0": { type: "TXT", name: "_dmarc.docstown.org", content: '"v=DMARC1; p=reject; rua=mailto:dmarc@docstown.org"', proxied: false, ttl: 3600 },
      },
    );
    // Every SPF in the zone (apex and MAIL FROM) parses: one v=spf1, <= 10 lookups, ends in ~all/-all.
    for (const txt of records.filter((r) => r.inputs["type"] === "TXT" && txtValue(String(r.inputs["content"])).startsWith("v=spf1"))) {
      const spf = parseSpf(txtValue(String(txt.inputs["content"])));
      assert.deepEqual(spf.problems, [], txt.name);
      assert.ok(spf.lookups <= 10);
      assert.match(spf.mechanisms.at(-1)?.qualifier ?? "", /^[~-]$/);
    }
    const dmarc = parseDmarc(txtValue(String(record(result, "email-dmarc-0").inputs["content"])), { reportEmail: "dmarc@docstown.org" });
    assert.deepEqual({ problems: dmarc.problems, policy: dmarc.policy }, { problems: [], policy: "reject" });
  });

  it("SendGrid: return-path, two DKIM and two branding CNAMEs; DMARC without rua", async () => {
    const result = await synthStack("production", { "docstown:email": JSON.stringify(sendgrid) });
    assert.deepEqual(
      Object.fromEntries(emailRecords(result).map((r) => [r.name.replace(/^docstown-/, ""), shape(r)])),
      {
        "email-spf-0": { type: "TXT", name: "docstown.org", content: '"v=spf1 ~all"', proxied: false, ttl: 3600 },
        "email-return-path-0": { type: "CNAME", name: "em4752.docstown.org", content: "u58404708.wl209.sendgrid.net", proxied: false, ttl: 3600 },
        "email-dkim-0": { type: "CNAME", name: "s1._domainkey.docstown.org", content: "s1.domainkey.u58404708.wl209.sendgrid.net", proxied: false, ttl: 3600 },
        "email-dkim-1": { type: "CNAME", name: "s2._domainkey.docstown.org", content: "s2.domainkey.u58404708.wl209.sendgrid.net", proxied: false, ttl: 3600 },
        "email-brand-0": { type: "CNAME", name: "url9958.docstown.org", content: "sendgrid.net", proxied: false, ttl: 3600 },
        "email-brand-1": { type: "CNAME", name: "58404708.docstown.org", content: "sendgrid.net", proxied: false, ttl: 3600 },
        "email-dmarc-0": { type: "TXT", name: "_dmarc.docstown.org", content: '"v=DMARC1; p=none"', proxied: false, ttl: 3600 },
      },
    );
    const dmarc = parseDmarc(txtValue(String(record(result, "email-dmarc-0").inputs["content"])));
    assert.deepEqual({ ok: dmarc.ok, policy: dmarc.policy, rua: dmarc.reportUris }, { ok: true, policy: "none", rua: [] });
  });

  it("refuses an email provider setup whose records would collide with www", async () => {
    await assert.rejects(
      synthStack("production", { "docstown:email": JSON.stringify({ ...sendgrid, returnPathSubdomain: "www" }) }),
      /www\.docstown\.org has a CNAME \(www-cname\) and other records \(email-return-path-0\)/,
    );
  });
});

describe("bad email provider data is rejected with its key", () => {
  const raw = readStackFile(resolve(PROJECT_DIR, "Pulumi.production.yaml"), true).config;
  const problems = (email: unknown) => {
    const result = validateConfig({ ...raw, "docstown:email": JSON.stringify(email) }, new Set(SECRET_KEYS));
    return result.ok ? [] : result.errors;
  };

  it("reports each problem as docstown:email.<path>", () => {
    assert.deepEqual(problems({ ...ses, dkimTokens: ["a1", "b2"] }), ["docstown:email.dkimTokens: must have exactly 3 tokens (SES Easy DKIM hands out three)"]);
    assert.deepEqual(problems({ ...ses, region: "Frankfurt", spfAll: "+all" }), [
      'docstown:email.spfAll: must be "~all" or "-all"',
      "docstown:email.region: must be an AWS region such as us-east-1",
    ]);
    assert.deepEqual(problems({ ...sendgrid, provider: "mailgun" }), ["docstown:email.provider: must be one of postmark, ses, sendgrid"]);
    assert.deepEqual(problems({ ...sendgrid, mailerFrom: "bot@docstown.com" }), [
      "docstown:email.mailerFrom: must be an address at docstown.org or a subdomain of it (got docstown.com)",
    ]);
    assert.deepEqual(problems(ses), []);
  });

  it("stops the program before any record is declared", async () => {
    await assert.rejects(
      synthStack("production", { "docstown:email": JSON.stringify({ ...ses, dkimTokens: ["a1"] }) }),
      /docstown:email\.dkimTokens: must have exactly 3 tokens/,
    );
  });
});

describe("Edge on its own", () => {
  const cloudflare = productionSchema.shape.cloudflare.parse({});

  it("adds a proxied AAAA when given the origin's IPv6 address", async () => {
    const result = await recordProgram(() => {
      new Edge("t", { domain: "docstown.org", publicIp: "203.0.113.9", ipv6Address: "2001:db8::9", cloudflare });
      return {};
    });
    assert.deepEqual(shape(record(result, "apex-aaaa")), { type: "AAAA", name: "docstown.org", content: "2001:db8::9", proxied: true, ttl: 1 });
    assert.equal(emailRecords(result).length, 0, "no email config, no email records");
  });

  it("keeps the origin private key secret and the certificate readable", async () => {
    const result = await recordProgram(() => {
      const edge = new Edge("t", { domain: "docstown.org", publicIp: "203.0.113.9", cloudflare });
      return { key: edge.originPrivateKeyPem, cert: edge.originCertificatePem, callback: edge.oauthCallbackUrl };
    });
    assert.match(String(result.outputs["key"]), /BEGIN PRIVATE KEY/);
    assert.deepEqual(result.outputSecretPaths, ["key"]);
    assert.equal(result.outputs["callback"], "https://docstown.org/auth/github/callback");
  });
});
