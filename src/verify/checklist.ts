import type { EmailConfig } from "../email/schema";
import type { CheckResult } from "./check";
import { checkApex, checkEmailDns, type DnsSettings } from "./dns";
import { checkHealthUrl, checkHttpRedirect, checkUpAndHsts, type Endpoint } from "./http";
import { reportToSentry, type SentryOutcome } from "./sentry";
import { doApiFromEnv } from "../snapshots/do-api";
import { checkSnapshotAge, type SnapshotCheckSettings } from "./snapshots";
import { checkCertificate } from "./tls";

export interface VerifyOptions {
  /** The site's domain; defaults to the hostname of `url`. */
  domain?: string;
  /** Public HTTPS base URL; defaults to https://<domain>/. */
  url?: string;
  /** Stack name: Sentry environment and monitor slug. */
  stack?: string;
  /** Email config; email DNS checks are skipped without it. */
  email?: EmailConfig;
  /** DNS server "ip[:port]"; system resolvers when absent. */
  resolver?: string;
  /** Budget for each check. */
  timeoutMs?: number;
  minCertDays?: number;
  healthUrl?: string;
  sentryDsn?: string;
  /** Extra trusted CA certificates (PEM text). */
  ca?: readonly string[];
  connectHost?: string;
  httpsPort?: number;
  httpPort?: number;
  /** The repos volume whose newest automatic snapshot's age is checked (from --stack). */
  snapshots?: SnapshotCheckSettings;
  /** DIGITALOCEAN_TOKEN / DIGITALOCEAN_API_URL; the snapshot check is skipped without a token. */
  env?: NodeJS.ProcessEnv;
}

export interface VerifyReport {
  target: string;
  url: string;
  stack?: string;
  ok: boolean;
  durationMs: number;
  checks: CheckResult[];
  sentry?: SentryOutcome;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MIN_CERT_DAYS = 14;

/**
 * Runs the post-deploy checklist against the live system. Checks run concurrently, each
 * inside its own time budget, so a dead host costs one budget rather than one per check.
 */
export async function runVerify(options: VerifyOptions): Promise<VerifyReport> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const url = new URL(options.url ?? `https://${requireDomain(options)}/`);
  const domain = (options.domain ?? url.hostname).toLowerCase();
  const endpoint: Endpoint = { url, timeoutMs };
  if (options.connectHost) endpoint.connectHost = options.connectHost;
  if (options.httpsPort) endpoint.httpsPort = options.httpsPort;
  if (options.httpPort) endpoint.httpPort = options.httpPort;
  if (options.ca) endpoint.ca = options.ca;
  const dns: DnsSettings = options.resolver ? { server: options.resolver, timeoutMs } : { timeoutMs };

  const [upAndHsts, redirect, certificate, apex, email, health, snapshots] = await Promise.all([
    checkUpAndHsts(endpoint),
    checkHttpRedirect(endpoint),
    checkCertificate(endpoint, options.minCertDays ?? DEFAULT_MIN_CERT_DAYS),
    checkApex(dns, domain),
    checkEmailDns(dns, domain, options.email),
    options.healthUrl ? checkHealthUrl(endpoint, new URL(options.healthUrl)) : undefined,
    options.snapshots ? checkSnapshotAge(doApiFromEnv(options.env ?? process.env), options.snapshots, timeoutMs) : undefined,
  ]);
  const [up, hsts] = upAndHsts;
  const checks = [up, redirect, certificate, hsts, apex, ...email, ...(health ? [health] : []), ...(snapshots ? [snapshots] : [])];

  const report: VerifyReport = {
    target: domain,
    url: url.href,
    ok: checks.every((c) => c.status !== "fail"),
    durationMs: Date.now() - started,
    checks,
  };
  if (options.stack) report.stack = options.stack;
  if (options.sentryDsn) {
    const run = { dsn: options.sentryDsn, target: domain, checks, durationMs: report.durationMs, timeoutMs };
    report.sentry = await reportToSentry(options.stack ? { ...run, stack: options.stack } : run);
  }
  return report;
}

function requireDomain(options: VerifyOptions): string {
  if (!options.domain) throw new Error("runVerify needs a domain or a url");
  return options.domain;
}

const MARK = { pass: "✔", fail: "✘", skip: "–" } as const;

/** The ticked checklist, one line per check, then a summary line. */
export function formatReport(report: VerifyReport): string[] {
  const lines = report.checks.map((c) => `${MARK[c.status]} ${c.name} — ${c.detail}`);
  const failed = report.checks.filter((c) => c.status === "fail").length;
  const where = report.stack ? `${report.target} (stack ${report.stack})` : report.target;
  lines.push(
    failed === 0
      ? `All ${report.checks.length} checks passed for ${where} in ${report.durationMs} ms.`
      : `${failed} of ${report.checks.length} checks failed for ${where}.`,
  );
  if (report.sentry) {
    const sent = report.sentry.flushed ? "sent" : "NOT delivered in time";
    lines.push(`Sentry: check-in ${report.sentry.status} for monitor ${report.sentry.monitorSlug} ${sent}.`);
  }
  return lines;
}
