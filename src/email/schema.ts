import { createPublicKey } from "node:crypto";
import { z } from "zod";

/**
 * Schema of the stack config key `docstown:email`: which provider sends DocsTown's mail and
 * the values that provider handed out when the sending domain was added there. Fields are the
 * pieces of the records the provider's console shows, so an operator can copy them across.
 */

export const EMAIL_PROVIDERS = ["postmark", "ses", "sendgrid"] as const;
export type EmailProvider = (typeof EMAIL_PROVIDERS)[number];

// One DNS label: what providers hand out as selectors, tokens and subdomains.
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const HOSTNAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
// SPF include targets are often underscore names such as _spf.google.com.
const SPF_DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const ADDRESS = /^[^\s@<>"]+@([^\s@<>"]+)$/;

const label = (what: string) =>
  z.string().regex(LABEL, `must be a single DNS label (letters, digits, hyphens) — the ${what}`);

/** Splits `Name <user@host>` or `user@host`; undefined when neither form matches. */
export function parseMailbox(value: string): { name?: string; address: string; domain: string } | undefined {
  const angle = /^\s*(.*?)\s*<([^<>]+)>\s*$/.exec(value);
  const address = (angle ? angle[2] : value)?.trim() ?? "";
  const match = ADDRESS.exec(address);
  const domain = match?.[1]?.toLowerCase();
  if (!domain || !HOSTNAME.test(domain)) return undefined;
  const name = angle?.[1]?.replace(/^"|"$/g, "");
  return name ? { name, address, domain } : { address, domain };
}

// YAML turns an unquoted 12345678 into a number; SendGrid ids are digits either way.
const digits = (what: string) =>
  z
    .union([z.number().int().nonnegative(), z.string().regex(/^\d+$/, `must be digits only — the ${what}`)])
    .transform(String);

const dmarcSchema = z
  .object({
    policy: z.enum(["none", "quarantine", "reject"], { error: "must be one of none, quarantine, reject" }).default("quarantine"),
    reportEmail: z.string().regex(ADDRESS, "must be an email address like dmarc@docstown.org").optional(),
  })
  .strict();

const smtpSchema = z
  .object({
    address: z.string().regex(HOSTNAME, "must be a hostname like smtp.example.com").optional(),
    port: z.number().int().min(1).max(65535, "must be a TCP port (1-65535)").optional(),
  })
  .strict();

const common = {
  mailerFrom: z.string().refine((v) => parseMailbox(v) !== undefined, {
    message: 'must be an address like "DocsTown <notifications@docstown.org>" or notifications@docstown.org',
  }),
  spfIncludes: z.array(z.string().regex(SPF_DOMAIN, "must be a domain name such as _spf.google.com (without include:)")).default([]),
  spfAll: z.enum(["~all", "-all"], { error: 'must be "~all" or "-all"' }).default("~all"),
  dmarc: dmarcSchema.default({ policy: "quarantine" }),
  smtp: smtpSchema.optional(),
};

function isSpkiKey(base64: string): boolean {
  try {
    createPublicKey({ key: Buffer.from(base64, "base64"), format: "der", type: "spki" });
    return true;
  } catch {
    return false;
  }
}

// Postmark shows a DKIM TXT host `<selector>._domainkey` (selectors look like 20250101123456pm)
// with value `k=rsa;p=<key>`, and a Return-Path CNAME to pm.mtasv.net (default pm-bounces).
const postmarkSchema = z
  .object({
    provider: z.literal("postmark"),
    ...common,
    dkimSelector: label("part before ._domainkey in Postmark's DKIM hostname, e.g. 20250101123456pm"),
    dkimPublicKey: z
      .string()
      .regex(/^[A-Za-z0-9+/]+={0,2}$/, {
        message: "must be the base64 key only (the value after p=, no spaces or quotes)",
        abort: true,
      })
      .refine(isSpkiKey, { message: "is not a valid base64 DER public key (copy the value after p= from Postmark)" }),
    returnPathSubdomain: label("Return-Path subdomain").default("pm-bounces"),
  })
  .strict();

// SES Easy DKIM hands out three tokens (CNAME <t>._domainkey -> <t>.dkim.amazonses.com); a custom
// MAIL FROM subdomain needs an MX to feedback-smtp.<region>.amazonses.com and its own SPF TXT.
const sesSchema = z
  .object({
    provider: z.literal("ses"),
    ...common,
    region: z.string().regex(/^[a-z]{2}(?:-[a-z]+)+-\d$/, "must be an AWS region such as us-east-1"),
    dkimTokens: z.array(label("Easy DKIM token")).length(3, "must have exactly 3 tokens (SES Easy DKIM hands out three)"),
    mailFromSubdomain: label("custom MAIL FROM subdomain").optional(),
  })
  .strict();

// SendGrid automated security: three CNAMEs <returnPathSubdomain> -> u<userId>.wl<N>.sendgrid.net,
// s1/s2._domainkey -> s1/s2.domainkey.u<userId>.wl<N>.sendgrid.net; link branding adds
// <brandSubdomain> and <userId> CNAMEs to sendgrid.net.
const sendgridSchema = z
  .object({
    provider: z.literal("sendgrid"),
    ...common,
    userId: digits("number after u in u<userId>.wl<N>.sendgrid.net"),
    whitelabelNumber: digits("number after wl in u<userId>.wl<N>.sendgrid.net"),
    returnPathSubdomain: label("mail CNAME host SendGrid shows, e.g. em1234"),
    brandSubdomain: label("link-branding host SendGrid shows, e.g. url1234").optional(),
  })
  .strict();

export const emailSchema = z.discriminatedUnion("provider", [postmarkSchema, sesSchema, sendgridSchema], {
  error: (issue) => (issue.code === "invalid_union" ? `must be one of ${EMAIL_PROVIDERS.join(", ")}` : undefined),
});

export type EmailConfig = z.infer<typeof emailSchema>;
export type EmailConfigInput = z.input<typeof emailSchema>;

/** The domain mail is sent from: the domain part of `mailerFrom`, lower-cased. */
export function emailSendingDomain(email: Pick<EmailConfig, "mailerFrom">): string {
  const mailbox = parseMailbox(email.mailerFrom);
  if (!mailbox) throw new Error(`docstown:email.mailerFrom: not an email address: ${email.mailerFrom}`);
  return mailbox.domain;
}

/**
 * Problem with `mailerFrom` relative to the stack domain, or undefined when it is fine. The
 * provider records are published in the stack's zone, so the sender must live inside it.
 */
export function mailerFromDomainProblem(email: Pick<EmailConfig, "mailerFrom">, domain: string): string | undefined {
  const apex = domain.toLowerCase().replace(/\.$/, "");
  const mailbox = parseMailbox(email.mailerFrom);
  if (!mailbox) return "must be an email address";
  if (mailbox.domain === apex || mailbox.domain.endsWith(`.${apex}`)) return undefined;
  return `must be an address at ${apex} or a subdomain of it (got ${mailbox.domain})`;
}

/** emailSchema plus the mailerFrom-vs-domain check, reported at path ["mailerFrom"]. */
export function emailSchemaForDomain(domain: string) {
  return emailSchema.superRefine((email, ctx) => {
    if (!parseMailbox(email.mailerFrom)) return; // the base schema already reported it
    const problem = mailerFromDomainProblem(email, domain);
    if (problem) ctx.addIssue({ code: "custom", path: ["mailerFrom"], message: problem });
  });
}
