import type { PolicyConfigSchema } from "@pulumi/policy";
import { type BroadestPrefix, DEFAULT_BROADEST_PREFIX, parseSource, versionName } from "./cidr";
import { CLOUDFLARE_RANGES } from "./cloudflare-ranges";
import { type SourceFinding, describeUnion, edgeSourceFindings, narrowSourceFindings } from "./sources";
import { isRecord, quote } from "./values";

/**
 * The pack's side of policies/sources.ts: its config (the same limits the program's
 * `docstown:operators.broadestPrefix` sets; src/synth/policies.ts passes them on) and the
 * wording of its findings about a firewall's sources. Sources are read with `parseSource`: a
 * bare address is one host, host bits are masked, anything else unreadable is a violation.
 */

export interface SourceLimits extends BroadestPrefix {
  readonly cloudflareRanges: readonly string[];
}

const prefixProperty = (minimum: number, fallback: number, what: string) => ({
  type: "integer" as const,
  minimum,
  default: fallback,
  description: `The widest ${what} network allowed as an SSH or database source, and the most addresses all such sources may admit together (one network of this prefix).`,
});

export const firewallSourceConfigSchema: PolicyConfigSchema = {
  properties: {
    broadestIpv4Prefix: prefixProperty(8, DEFAULT_BROADEST_PREFIX.ipv4, "IPv4"),
    broadestIpv6Prefix: prefixProperty(16, DEFAULT_BROADEST_PREFIX.ipv6, "IPv6"),
    cloudflareRanges: {
      type: "array",
      items: { type: "string" },
      default: [...CLOUDFLARE_RANGES],
      description: "The only networks allowed on 80/443: Cloudflare's published ranges (policies/cloudflare-ranges.ts).",
    },
  },
};

export const databaseSourceConfigSchema: PolicyConfigSchema = {
  properties: { broadestIpv4Prefix: prefixProperty(8, DEFAULT_BROADEST_PREFIX.ipv4, "IPv4") },
};

function prefixOrThrow(raw: Record<string, unknown>, key: string, fallback: number, min: number, max: number, policy: string): number {
  const value = raw[key] ?? fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${policy}: ${key} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The policy's config (engine-filled defaults, or ours when the engine sent none). */
export function readSourceLimits(config: object, policy: string): SourceLimits {
  const raw = isRecord(config) ? config : {};
  const ranges = raw["cloudflareRanges"] ?? CLOUDFLARE_RANGES;
  if (!Array.isArray(ranges) || ranges.some((r) => typeof r !== "string" || !parseSource(r).ok)) {
    throw new Error(`${policy}: cloudflareRanges must be a list of networks in CIDR notation, got ${JSON.stringify(ranges)}`);
  }
  return {
    ipv4: prefixOrThrow(raw, "broadestIpv4Prefix", DEFAULT_BROADEST_PREFIX.ipv4, 8, 32, policy),
    ipv6: prefixOrThrow(raw, "broadestIpv6Prefix", DEFAULT_BROADEST_PREFIX.ipv6, 16, 128, policy),
    cloudflareRanges: ranges as string[],
  };
}

const setting = (version: 4 | 6) => `policy config broadestIpv${version}Prefix`;

export const unreadable = (f: Extract<SourceFinding, { kind: "unreadable" }>): string =>
  `${quote(f.value)}, which the pack cannot read (${f.problem}); it may admit anything`;

export const tooWide = (f: Extract<SourceFinding, { kind: "too-wide" }>): string =>
  `${f.value}, wider than /${f.limit}, the broadest ${versionName(f.version)} prefix allowed (${setting(f.version)})`;

export const union = (f: Extract<SourceFinding, { kind: "union" }>): string => `together admit ${describeUnion(f)} (${setting(f.version)})`;

/** Findings on SSH sources spread over several rules, each tagged with the rule it came from. */
export function sshFindings(rules: readonly { sources: readonly string[] }[], limits: BroadestPrefix): { perRule: SourceFinding[][]; union: SourceFinding[] } {
  const owner: number[] = [];
  const all: string[] = [];
  rules.forEach((rule, i) => rule.sources.forEach((s) => (owner.push(i), all.push(s))));
  const perRule: SourceFinding[][] = rules.map(() => []);
  const unionFindings: SourceFinding[] = [];
  for (const f of narrowSourceFindings(all, limits, parseSource)) {
    if (f.kind === "union") unionFindings.push(f);
    else perRule[owner[f.index] as number]?.push(f);
  }
  return { perRule, union: unionFindings };
}

/** Messages for the 80/443 sources of one rule (after `firewall "x" inbound rule tcp 443 `). */
export function edgeMessages(sources: readonly string[], ranges: readonly string[]): string[] {
  const findings = edgeSourceFindings(sources, ranges, parseSource);
  const outside = findings.filter((f) => f.kind === "outside").map((f) => f.value);
  const messages = findings.flatMap((f) => (f.kind === "unreadable" ? [`has source ${unreadable(f)}`] : []));
  if (outside.length > 0) {
    const are = outside.length === 1 ? "is" : "are";
    messages.unshift(`admits ${outside.join(", ")}, which ${are} not inside Cloudflare's published ranges; only Cloudflare's edge may reach 80/443`);
  }
  return messages;
}
