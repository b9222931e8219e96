/**
 * What every verify check returns, and the time budget they share. Kept apart from
 * checklist.ts so the check modules do not import the module that imports them.
 */

export type CheckStatus = "pass" | "fail" | "skip";

export interface CheckResult {
  /** Stable slug, used in the Sentry event and in --json output. */
  id: string;
  /** Short human label for the ticked line. */
  name: string;
  status: CheckStatus;
  /** What was seen when it passed, or why it failed. */
  detail: string;
}

export const pass = (id: string, name: string, detail: string): CheckResult => ({ id, name, status: "pass", detail });
export const fail = (id: string, name: string, detail: string): CheckResult => ({ id, name, status: "fail", detail });
export const skip = (id: string, name: string, detail: string): CheckResult => ({ id, name, status: "skip", detail });

export class DeadlineError extends Error {}

/**
 * Settles with `work`, or rejects with DeadlineError after `ms`; `cancel` runs on timeout so
 * sockets are torn down instead of lingering after verify has moved on.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string, cancel?: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      cancel?.();
      reject(new DeadlineError(`${what}: no answer within ${ms} ms`));
    }, ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** One line of text for any thrown value; Node socket errors carry a useful code. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
}
