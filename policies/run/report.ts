import type { EnforcementLevel, ReportViolation } from "@pulumi/policy";
import { NotApplicableError, type SdkInternals } from "./adapter";

/**
 * The report: violations as the CLI lists them, and CrossGuard's handling of what a policy throws
 * (server.js): `UnknownValueError` becomes one advisory "can't run policy ... during preview",
 * `notApplicable` ends that validation silently, anything else fails the run, as it fails
 * `pulumi preview`. Messages are kept as the policy reported them (the CLI prefixes the policy
 * description).
 */

export interface PolicyViolation {
  policy: string;
  enforcementLevel: "mandatory" | "advisory";
  urn?: string;
  message: string;
}

/** "remediate" reports as mandatory; "disabled" never runs. */
export function reportLevel(level: EnforcementLevel): "mandatory" | "advisory" {
  return level === "advisory" ? "advisory" : "mandatory";
}

export class Report {
  readonly violations: PolicyViolation[] = [];

  constructor(
    readonly packName: string,
    private readonly sdk: SdkInternals,
  ) {}

  add(violation: PolicyViolation): void {
    this.violations.push(violation);
  }

  /** The `reportViolation` callback one policy receives; a resource policy's default urn is its resource. */
  reporter(policy: string, level: EnforcementLevel, resourceUrn?: string): ReportViolation {
    return (message, urn) => {
      const at = resourceUrn ?? urn;
      this.add({ policy, enforcementLevel: reportLevel(level), ...(at === undefined ? {} : { urn: at }), message });
    };
  }

  /** Runs one validation and turns what it throws into what CrossGuard makes of it. */
  async guarded(policy: string, urn: string | undefined, kind: "resource" | "stack", call: () => Promise<void> | void): Promise<void> {
    try {
      await call();
    } catch (e) {
      if (e instanceof NotApplicableError) return;
      const from = `policy '${policy}' from policy pack '${this.packName}'`;
      if (e instanceof this.sdk.UnknownValueError) {
        this.add({ policy, enforcementLevel: "advisory", urn, message: `can't run ${from} during preview: ${e.message}` });
        return;
      }
      const detail = e instanceof Error ? e.message : String(e);
      throw new Error(`Error validating ${kind} with ${from}: ${detail}`, { cause: e });
    }
  }
}
