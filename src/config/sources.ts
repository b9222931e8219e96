import { type BroadestPrefix, versionName } from "../../policies/cidr";
import { describeUnion, narrowSourceFindings } from "../../policies/sources";

/**
 * The breadth rules of policies/sources.ts on one config list (`operators.sshCidrs`), as issues
 * with paths relative to that list. Entries the element schema already refused (junk, /0) are left to it.
 */
export function sourceBreadthIssues(
  values: unknown,
  limits: Partial<BroadestPrefix> | undefined,
): { path: (string | number)[]; message: string }[] {
  if (!Array.isArray(values) || !validLimits(limits)) return [];
  const strings = values.map((v) => (typeof v === "string" ? v : ""));
  const setting = (version: 4 | 6) => `docstown:operators.broadestPrefix.ipv${version}`;
  return narrowSourceFindings(strings, limits).flatMap((f) => {
    if (f.kind === "too-wide") {
      return [{ path: [f.index], message: `${f.value} is wider than /${f.limit}, the broadest ${versionName(f.version)} prefix allowed (${setting(f.version)})` }];
    }
    if (f.kind === "union") {
      return [{ path: [], message: `together these networks cover ${describeUnion(f)}; see ${setting(f.version)}` }];
    }
    return [];
  });
}

function validLimits(limits: Partial<BroadestPrefix> | undefined): limits is BroadestPrefix {
  const ok = (v: unknown, min: number, max: number) => typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
  return limits !== undefined && ok(limits.ipv4, 8, 32) && ok(limits.ipv6, 16, 128);
}
