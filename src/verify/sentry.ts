import * as Sentry from "@sentry/node";
import type { CheckResult } from "./check";

export interface SentryRun {
  dsn: string;
  /** Stack name; becomes the Sentry environment. */
  stack?: string;
  /** The domain that was verified. */
  target: string;
  checks: readonly CheckResult[];
  durationMs: number;
  /** Upper bound for delivering the envelopes. */
  timeoutMs: number;
}

export interface SentryOutcome {
  monitorSlug: string;
  status: "ok" | "error";
  /** The event message, when something failed. */
  message?: string;
  /** False when the envelopes were still queued when the time budget ran out. */
  flushed: boolean;
}

/** Monitor slugs are lower-case letters, digits, - and _, at most 50 characters. */
export function monitorSlug(stackOrDomain: string): string {
  const slug = `docstown-verify-${stackOrDomain.toLowerCase().replace(/[^a-z0-9_-]+/g, "-")}`;
  return slug.slice(0, 50).replace(/-+$/, "");
}

/**
 * The message names only the failed check ids, not their reasons: Sentry groups events by
 * message, and the same broken thing should land in the same issue run after run.
 */
export function failureMessage(target: string, failed: readonly CheckResult[]): string {
  return `docstown verify failed for ${target}: ${failed.map((c) => c.id).join(", ")}`;
}

/**
 * One cron check-in per run (ok/error), plus exactly one error event when something failed.
 * Default integrations stay off: a one-shot CLI needs no process handlers, module hooks or
 * tracing, and nothing should reach the network except the DSN's transport.
 */
export async function reportToSentry(run: SentryRun): Promise<SentryOutcome> {
  const failed = run.checks.filter((c) => c.status === "fail");
  const outcome: SentryOutcome = {
    monitorSlug: monitorSlug(run.stack ?? run.target),
    status: failed.length === 0 ? "ok" : "error",
    flushed: false,
  };
  const options: Sentry.NodeOptions = {
    dsn: run.dsn,
    defaultIntegrations: false,
    integrations: [],
    enableRuntimeChannelInjection: false,
    sendClientReports: false,
    attachStacktrace: false,
  };
  if (run.stack) options.environment = run.stack;
  Sentry.init(options);
  try {
    Sentry.captureCheckIn({ monitorSlug: outcome.monitorSlug, status: outcome.status, duration: run.durationMs / 1000 });
    if (failed.length > 0) {
      outcome.message = failureMessage(run.target, failed);
      Sentry.captureMessage(outcome.message, {
        level: "error",
        tags: { domain: run.target, ...(run.stack ? { stack: run.stack } : {}) },
        extra: { failed: Object.fromEntries(failed.map((c) => [c.id, c.detail])) },
      });
    }
    outcome.flushed = await Sentry.flush(run.timeoutMs);
  } finally {
    await Sentry.close(run.timeoutMs);
  }
  return outcome;
}
