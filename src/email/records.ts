import { emailSendingDomain, mailerFromDomainProblem, type EmailConfig } from "./schema";

export interface EmailDnsRecord {
  type: "TXT" | "CNAME" | "MX";
  /** Fully qualified name, no trailing dot. */
  name: string;
  content: string;
  priority?: number;
  purpose: "spf" | "dkim" | "return-path" | "dmarc" | "mail-from" | "brand";
}

export interface SmtpSettings {
  address: string;
  port: number;
}

/**
 * The DNS records the configured provider documents for the sending domain (the domain of
 * `mailerFrom`, which is `domain` itself or a subdomain of it), plus SPF and DMARC.
 *
 * SPF: every provider here authorises its servers on the bounce (envelope) domain it gets a
 * record for — Postmark's Return-Path CNAME, SES's MAIL FROM TXT, SendGrid's mail CNAME — and
 * receivers check SPF against that envelope domain, never the From domain. A provider include
 * on the apex would cost a DNS lookup and authorise a shared IP pool for nothing, so the apex
 * SPF carries only the operator's `spfIncludes` and the `all` policy.
 *
 * DMARC: adkim/aspf are left at their relaxed default on purpose. The envelope domains above
 * are subdomains (pm-bounces.<domain>, mail.<domain>, em123.<domain>), so strict SPF alignment
 * would make every message fail the SPF half of DMARC.
 */
export function emailDnsRecords(domain: string, email: EmailConfig): EmailDnsRecord[] {
  const problem = mailerFromDomainProblem(email, domain);
  if (problem) throw new Error(`docstown:email.mailerFrom: ${problem}`);
  const zone = emailSendingDomain(email);
  return [spfRecord(zone, email), ...providerRecords(zone, email), dmarcRecord(zone, email)];
}

export function spfRecord(zone: string, email: EmailConfig): EmailDnsRecord {
  const includes = [...new Set(email.spfIncludes.map((d) => d.toLowerCase()))];
  const terms = ["v=spf1", ...includes.map((d) => `include:${d}`), email.spfAll];
  return { type: "TXT", name: zone, content: terms.join(" "), purpose: "spf" };
}

export function dmarcRecord(zone: string, email: EmailConfig): EmailDnsRecord {
  const tags = ["v=DMARC1", `p=${email.dmarc.policy}`];
  if (email.dmarc.reportEmail) tags.push(`rua=mailto:${email.dmarc.reportEmail}`);
  return { type: "TXT", name: `_dmarc.${zone}`, content: tags.join("; "), purpose: "dmarc" };
}

function providerRecords(zone: string, email: EmailConfig): EmailDnsRecord[] {
  switch (email.provider) {
    case "postmark":
      return [
        {
          type: "TXT",
          name: `${email.dkimSelector}._domainkey.${zone}`,
          content: `k=rsa;p=${email.dkimPublicKey}`,
          purpose: "dkim",
        },
        { type: "CNAME", name: `${email.returnPathSubdomain}.${zone}`, content: "pm.mtasv.net", purpose: "return-path" },
      ];
    case "ses": {
      const dkim: EmailDnsRecord[] = email.dkimTokens.map((token) => ({
        type: "CNAME",
        name: `${token}._domainkey.${zone}`,
        content: `${token}.dkim.amazonses.com`,
        purpose: "dkim",
      }));
      if (!email.mailFromSubdomain) return dkim;
      const mailFrom = `${email.mailFromSubdomain}.${zone}`;
      return [
        ...dkim,
        { type: "MX", name: mailFrom, content: `feedback-smtp.${email.region}.amazonses.com`, priority: 10, purpose: "mail-from" },
        { type: "TXT", name: mailFrom, content: "v=spf1 include:amazonses.com ~all", purpose: "mail-from" },
      ];
    }
    case "sendgrid": {
      const host = `u${email.userId}.wl${email.whitelabelNumber}.sendgrid.net`;
      const records: EmailDnsRecord[] = [
        { type: "CNAME", name: `${email.returnPathSubdomain}.${zone}`, content: host, purpose: "return-path" },
        { type: "CNAME", name: `s1._domainkey.${zone}`, content: `s1.domainkey.${host}`, purpose: "dkim" },
        { type: "CNAME", name: `s2._domainkey.${zone}`, content: `s2.domainkey.${host}`, purpose: "dkim" },
      ];
      if (email.brandSubdomain) {
        records.push(
          { type: "CNAME", name: `${email.brandSubdomain}.${zone}`, content: "sendgrid.net", purpose: "brand" },
          { type: "CNAME", name: `${email.userId}.${zone}`, content: "sendgrid.net", purpose: "brand" },
        );
      }
      return records;
    }
  }
}

/** SMTP endpoint for ActionMailer: the provider's documented STARTTLS submission port 587. */
export function smtpSettings(email: EmailConfig): SmtpSettings {
  return { address: email.smtp?.address ?? defaultSmtpAddress(email), port: email.smtp?.port ?? 587 };
}

function defaultSmtpAddress(email: EmailConfig): string {
  switch (email.provider) {
    case "postmark":
      return "smtp.postmarkapp.com";
    case "ses":
      return `email-smtp.${email.region}.amazonaws.com`;
    case "sendgrid":
      return "smtp.sendgrid.net";
  }
}
