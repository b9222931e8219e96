import { generateKeyPairSync } from "node:crypto";
import { emailSchema, type EmailConfig } from "../../../src/email/schema";
import { runVerify, type VerifyOptions, type VerifyReport } from "../../../src/verify/checklist";
import type { KeyPair } from "./pki";
import { startDns, startRedirector, startSentry, startSite, type DnsTable, type EnvelopeItem, type SiteBehaviour } from "./servers";

export const DOMAIN = "docstown.test";
export const HSTS = "max-age=31536000; includeSubDomains";

export const DKIM_KEY = generateKeyPairSync("rsa", {
  modulusLength: 2048, // long enough that the DNS server must split the TXT into chunks
  publicKeyEncoding: { type: "spki", format: "der" },
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
}).publicKey.toString("base64");

export const EMAIL: EmailConfig = emailSchema.parse({
  provider: "postmark",
  mailerFrom: `DocsTown <notifications@${DOMAIN}>`,
  dkimSelector: "20250101123456pm",
  dkimPublicKey: DKIM_KEY,
  spfIncludes: ["_spf.google.com"],
  dmarc: { policy: "quarantine", reportEmail: `dmarc@${DOMAIN}` },
});

/** What Cloudflare would serve for EMAIL, written out by hand rather than derived. */
export function healthyDns(): DnsTable {
  return {
    [DOMAIN]: [
      { type: "A", data: "127.0.0.1" },
      { type: "TXT", data: "google-site-verification=abc123" },
      { type: "TXT", data: "v=spf1 include:_spf.google.com ~all" },
    ],
    [`20250101123456pm._domainkey.${DOMAIN}`]: [{ type: "TXT", data: `k=rsa;p=${DKIM_KEY}` }],
    [`pm-bounces.${DOMAIN}`]: [{ type: "CNAME", data: "pm.mtasv.net" }],
    [`_dmarc.${DOMAIN}`]: [{ type: "TXT", data: `v=DMARC1; p=quarantine; rua=mailto:dmarc@${DOMAIN}` }],
  };
}

export interface Scenario {
  pair: KeyPair;
  caPem: string;
  site?: Partial<SiteBehaviour>;
  redirect?: { status: number; location?: string };
  dns?: DnsTable;
  options?: Partial<VerifyOptions>;
}

export interface Outcome {
  report: VerifyReport;
  sentry: EnvelopeItem[];
  elapsedMs: number;
  failed: string[];
}

/** Starts site, redirector, DNS and Sentry on 127.0.0.1, runs verify in-process, stops them. */
export async function runScenario(s: Scenario): Promise<Outcome> {
  const site = await startSite(s.pair, { up: 200, hsts: HSTS, ...s.site });
  const redirector = await startRedirector(s.redirect?.status ?? 301, s.redirect ? s.redirect.location : `https://${DOMAIN}/`);
  const dns = await startDns(s.dns ?? healthyDns());
  const sentry = await startSentry();
  const started = Date.now();
  try {
    const report = await runVerify({
      domain: DOMAIN,
      email: EMAIL,
      resolver: `127.0.0.1:${dns.port}`,
      timeoutMs: 2000,
      ca: [s.caPem],
      connectHost: "127.0.0.1",
      httpsPort: site.port,
      httpPort: redirector.port,
      sentryDsn: sentry.dsn,
      ...s.options,
    });
    const elapsedMs = Date.now() - started;
    const failed = report.checks.filter((c) => c.status === "fail").map((c) => c.id);
    return { report, sentry: [...sentry.items], elapsedMs, failed };
  } finally {
    await Promise.all([site.close(), redirector.close(), dns.close(), sentry.close()]);
  }
}

export const detail = (report: VerifyReport, id: string) => report.checks.find((c) => c.id === id)?.detail ?? "(no such check)";

/** The check-in and event items the fake ingest received, in a shape easy to deep-equal. */
export function sentrySummary(items: EnvelopeItem[]) {
  return items.map((item) =>
    item.header["type"] === "check_in"
      ? { type: "check_in", monitor: item.payload["monitor_slug"], status: item.payload["status"], environment: item.payload["environment"] }
      : { type: item.header["type"], level: item.payload["level"], message: item.payload["message"] },
  );
}
