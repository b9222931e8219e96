import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import { emailDnsRecords, smtpSettings } from "../../src/email/records";
import { emailSchema, emailSchemaForDomain, mailerFromDomainProblem, type EmailConfig } from "../../src/email/schema";

// A real SPKI key: the schema refuses anything that does not decode as one.
const dkimKey = generateKeyPairSync("rsa", {
  modulusLength: 1024,
  publicKeyEncoding: { type: "spki", format: "der" },
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
}).publicKey.toString("base64");

const parse = (input: unknown): EmailConfig => emailSchema.parse(input);

function issues(input: unknown) {
  const result = emailSchema.safeParse(input);
  assert.equal(result.success, false, "expected the config to be rejected");
  return result.error.issues.map((i) => ({ path: i.path, message: i.message }));
}

const postmark = {
  provider: "postmark",
  mailerFrom: "DocsTown <notifications@docstown.org>",
  dkimSelector: "20250101123456pm",
  dkimPublicKey: dkimKey,
  spfIncludes: ["_spf.google.com", "_SPF.Google.com", "spf.protection.outlook.com"],
  dmarc: { policy: "reject", reportEmail: "dmarc@docstown.org" },
};

const ses = {
  provider: "ses",
  mailerFrom: "notifications@docstown.org",
  region: "eu-west-1",
  dkimTokens: ["hirjd4exly4vwwh7ozt5ye3lghpz52ap", "jmyg3ra3xkd7vjy7oq7ikgpc7ylwcdr7", "6xzofwy7hbqbcsn3dgxfq4ikq2jpkcsq"],
  mailFromSubdomain: "mail",
  spfAll: "-all",
};

const sendgrid = {
  provider: "sendgrid",
  mailerFrom: "DocsTown <notifications@docstown.org>",
  userId: 58404708, // unquoted in YAML, so a number
  whitelabelNumber: "209",
  returnPathSubdomain: "em4752",
  brandSubdomain: "url9958",
  dmarc: { policy: "none" },
};

describe("emailDnsRecords", () => {
  it("postmark: DKIM TXT, Return-Path CNAME, one deduplicated apex SPF, DMARC with rua", () => {
    assert.deepEqual(emailDnsRecords("docstown.org", parse(postmark)), [
      {
        type: "TXT",
        name: "docstown.org",
        content: "v=spf1 include:_spf.google.com include:spf.protection.outlook.com ~all",
        purpose: "spf",
      },
      { type: "TXT", name: "20250101123456pm._domainkey.docstown.org", content: `k=rsa;p=${dkimKey}`, purpose: "dkim" },
      { type: "CNAME", name: "pm-bounces.docstown.org", content: "pm.mtasv.net", purpose: "return-path" },
      { type: "TXT", name: "_dmarc.docstown.org", content: "v=DMARC1; p=reject; rua=mailto:dmarc@docstown.org", purpose: "dmarc" },
    ]);
  });

  it("ses: three Easy DKIM CNAMEs and the custom MAIL FROM MX + SPF", () => {
    assert.deepEqual(emailDnsRecords("docstown.org", parse(ses)), [
      { type: "TXT", name: "docstown.org", content: "v=spf1 -all", purpose: "spf" },
      {
        type: "CNAME",
        name: "hirjd4exly4vwwh7ozt5ye3lghpz52ap._domainkey.docstown.org",
        content: "hirjd4exly4vwwh7ozt5ye3lghpz52ap.dkim.amazonses.com",
        purpose: "dkim",
      },
      {
        type: "CNAME",
        name: "jmyg3ra3xkd7vjy7oq7ikgpc7ylwcdr7._domainkey.docstown.org",
        content: "jmyg3ra3xkd7vjy7oq7ikgpc7ylwcdr7.dkim.amazonses.com",
        purpose: "dkim",
      },
      {
        type: "CNAME",
        name: "6xzofwy7hbqbcsn3dgxfq4ikq2jpkcsq._domainkey.docstown.org",
        content: "6xzofwy7hbqbcsn3dgxfq4ikq2jpkcsq.dkim.amazonses.com",
        purpose: "dkim",
      },
      { type: "MX", name: "mail.docstown.org", content: "feedback-smtp.eu-west-1.amazonses.com", priority: 10, purpose: "mail-from" },
      { type: "TXT", name: "mail.docstown.org", content: "v=spf1 include:amazonses.com ~all", purpose: "mail-from" },
      { type: "TXT", name: "_dmarc.docstown.org", content: "v=DMARC1; p=quarantine", purpose: "dmarc" },
    ]);
  });

  it("ses without a custom MAIL FROM publishes no MX", () => {
    const records = emailDnsRecords("docstown.org", parse({ ...ses, mailFromSubdomain: undefined }));
    assert.deepEqual(records.map((r) => `${r.type} ${r.purpose}`), ["TXT spf", "CNAME dkim", "CNAME dkim", "CNAME dkim", "TXT dmarc"]);
  });

  it("sendgrid: automated-security CNAMEs plus link branding", () => {
    assert.deepEqual(emailDnsRecords("docstown.org", parse(sendgrid)), [
      { type: "TXT", name: "docstown.org", content: "v=spf1 ~all", purpose: "spf" },
      { type: "CNAME", name: "em4752.docstown.org", content: "u58404708.wl209.sendgrid.net", purpose: "return-path" },
      { type: "CNAME", name: "s1._domainkey.docstown.org", content: "s1.domainkey.u58404708.wl209.sendgrid.net", purpose: "dkim" },
      { type: "CNAME", name: "s2._domainkey.docstown.org", content: "s2.domainkey.u58404708.wl209.sendgrid.net", purpose: "dkim" },
      { type: "CNAME", name: "url9958.docstown.org", content: "sendgrid.net", purpose: "brand" },
      { type: "CNAME", name: "58404708.docstown.org", content: "sendgrid.net", purpose: "brand" },
      { type: "TXT", name: "_dmarc.docstown.org", content: "v=DMARC1; p=none", purpose: "dmarc" },
    ]);
  });

  it("a sender on a subdomain gets its records under that subdomain", () => {
    const records = emailDnsRecords("docstown.org", parse({ ...postmark, mailerFrom: "bot@mail.DocsTown.org" }));
    assert.deepEqual(
      records.map((r) => r.name),
      ["mail.docstown.org", "20250101123456pm._domainkey.mail.docstown.org", "pm-bounces.mail.docstown.org", "_dmarc.mail.docstown.org"],
    );
  });

  it("refuses a sender outside the stack domain", () => {
    const email = parse({ ...postmark, mailerFrom: "x@evil.example" });
    assert.throws(() => emailDnsRecords("docstown.org", email), /docstown:email\.mailerFrom: must be an address at docstown\.org/);
    assert.equal(mailerFromDomainProblem(email, "docstown.org"), "must be an address at docstown.org or a subdomain of it (got evil.example)");
    assert.equal(mailerFromDomainProblem(parse(postmark), "docstown.org"), undefined);
    // notdocstown.org ends with "docstown.org" but is not a subdomain of it.
    assert.notEqual(mailerFromDomainProblem({ mailerFrom: "a@notdocstown.org" }, "docstown.org"), undefined);
  });
});

describe("smtpSettings", () => {
  it("defaults to each provider's documented endpoint on 587", () => {
    assert.deepEqual(smtpSettings(parse(postmark)), { address: "smtp.postmarkapp.com", port: 587 });
    assert.deepEqual(smtpSettings(parse(ses)), { address: "email-smtp.eu-west-1.amazonaws.com", port: 587 });
    assert.deepEqual(smtpSettings(parse(sendgrid)), { address: "smtp.sendgrid.net", port: 587 });
  });

  it("honours an override", () => {
    assert.deepEqual(smtpSettings(parse({ ...sendgrid, smtp: { port: 2525 } })), { address: "smtp.sendgrid.net", port: 2525 });
    assert.deepEqual(smtpSettings(parse({ ...postmark, smtp: { address: "smtp-broadcasts.postmarkapp.com", port: 25 } })), {
      address: "smtp-broadcasts.postmarkapp.com",
      port: 25,
    });
  });
});

describe("emailSchema rejects bad provider data with the key that is wrong", () => {
  it("unknown provider", () => {
    assert.deepEqual(issues({ ...postmark, provider: "mailgun" }), [{ path: ["provider"], message: "must be one of postmark, ses, sendgrid" }]);
  });

  it("SES with two DKIM tokens", () => {
    assert.deepEqual(issues({ ...ses, dkimTokens: ["a1", "b2"] }), [
      { path: ["dkimTokens"], message: "must have exactly 3 tokens (SES Easy DKIM hands out three)" },
    ]);
  });

  it("unknown keys, including another provider's", () => {
    const found = issues({ ...postmark, region: "us-east-1" });
    assert.equal(found.length, 1);
    assert.deepEqual(found[0]?.path, []);
    assert.match(found[0]?.message ?? "", /region/);
  });

  it("a DKIM key with p= or that is not a public key", () => {
    assert.deepEqual(issues({ ...postmark, dkimPublicKey: `p=${dkimKey}` }).map((i) => i.path), [["dkimPublicKey"]]);
    assert.deepEqual(issues({ ...postmark, dkimPublicKey: "QUJDRA==" }), [
      { path: ["dkimPublicKey"], message: "is not a valid base64 DER public key (copy the value after p= from Postmark)" },
    ]);
  });

  it("bad DMARC policy, SPF all, region, SendGrid id and mailerFrom", () => {
    assert.deepEqual(issues({ ...postmark, dmarc: { policy: "block" } }), [
      { path: ["dmarc", "policy"], message: "must be one of none, quarantine, reject" },
    ]);
    assert.deepEqual(issues({ ...postmark, spfAll: "+all" }), [{ path: ["spfAll"], message: 'must be "~all" or "-all"' }]);
    assert.deepEqual(issues({ ...ses, region: "Frankfurt" }).map((i) => i.path), [["region"]]);
    assert.deepEqual(issues({ ...sendgrid, userId: "u58404708" }).map((i) => i.path), [["userId"]]);
    assert.deepEqual(issues({ ...postmark, mailerFrom: "DocsTown" }).map((i) => i.path), [["mailerFrom"]]);
    assert.deepEqual(issues({ ...postmark, spfIncludes: ["include:_spf.google.com"] }).map((i) => i.path), [["spfIncludes", 0]]);
  });

  it("emailSchemaForDomain reports a sender outside the domain at mailerFrom", () => {
    const result = emailSchemaForDomain("docstown.org").safeParse({ ...postmark, mailerFrom: "a@docstown.com" });
    assert.equal(result.success, false);
    assert.deepEqual(
      result.error?.issues.map((i) => ({ path: i.path, message: i.message })),
      [{ path: ["mailerFrom"], message: "must be an address at docstown.org or a subdomain of it (got docstown.com)" }],
    );
    assert.equal(emailSchemaForDomain("docstown.org").safeParse(postmark).success, true);
  });
});

describe("emailSchemaForDomain", () => {
  it("reports a malformed mailerFrom once", () => {
    const result = emailSchemaForDomain("docstown.org").safeParse({ ...postmark, mailerFrom: "DocsTown" });
    assert.deepEqual(result.error?.issues.map((i) => i.path), [["mailerFrom"]]);
  });
});
