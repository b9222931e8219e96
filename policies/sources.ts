import {
  type BroadestPrefix,
  type CidrResult,
  type IpVersion,
  type Network,
  isInside,
  isWholeSpace,
  parseCidr,
  prefixLimit,
  unionAddressCount,
  unionLimit,
} from "./cidr";

/**
 * The rules on who may reach the droplet and the database, as findings the config (keys) and the
 * pack (firewall rules) each put in their own words:
 * - SSH and PostgreSQL sources: never the whole internet, no network wider than the broadest
 *   prefix allowed, and all of them together no more addresses than one network of that prefix
 *   (so `0.0.0.0/1` + `128.0.0.0/1`, or a pile of /17s, cannot add up to the world);
 * - 80/443 sources: inside Cloudflare's published ranges.
 */

export type SourceFinding =
  | { kind: "unreadable"; index: number; value: string; problem: string }
  | { kind: "world"; index: number; value: string }
  | { kind: "too-wide"; index: number; value: string; version: IpVersion; limit: number }
  | { kind: "union"; version: IpVersion; count: bigint; limit: bigint; prefix: number; whole: boolean }
  | { kind: "outside"; index: number; value: string };

type Parser = (value: string) => CidrResult;

/** SSH or database sources: whole-internet, per-network and union checks. */
export function narrowSourceFindings(values: readonly string[], limits: BroadestPrefix, parse: Parser = parseCidr): SourceFinding[] {
  const findings: SourceFinding[] = [];
  const networks: Network[] = [];
  const flagged = new Set<IpVersion>();
  values.forEach((value, index) => {
    const parsed = parse(value);
    if (!parsed.ok) {
      findings.push({ kind: "unreadable", index, value, problem: parsed.problem });
      return;
    }
    const { network } = parsed;
    networks.push(network);
    const limit = prefixLimit(limits, network.version);
    if (isWholeSpace(network)) {
      findings.push({ kind: "world", index, value });
      flagged.add(network.version);
    } else if (network.prefix < limit) {
      findings.push({ kind: "too-wide", index, value, version: network.version, limit });
      flagged.add(network.version);
    }
  });
  // The union is judged only when each network passed alone: otherwise it says nothing new.
  for (const version of [4, 6] as const) {
    if (flagged.has(version)) continue;
    const count = unionAddressCount(networks, version);
    const limit = unionLimit(limits, version);
    if (count <= limit) continue;
    const whole = count === 1n << BigInt(version === 4 ? 32 : 128);
    findings.push({ kind: "union", version, count, limit, prefix: prefixLimit(limits, version), whole });
  }
  return findings;
}

/** 80/443 sources: each inside the given ranges (Cloudflare's published ones). */
export function edgeSourceFindings(values: readonly string[], ranges: readonly string[], parse: Parser = parseCidr): SourceFinding[] {
  const allowed = ranges.map(parseCidr).flatMap((r) => (r.ok ? [r.network] : []));
  return values.flatMap((value, index): SourceFinding[] => {
    const parsed = parse(value);
    if (!parsed.ok) return [{ kind: "unreadable", index, value, problem: parsed.problem }];
    return isInside(parsed.network, allowed) ? [] : [{ kind: "outside", index, value }];
  });
}

/** "131072 IPv4 addresses, more than one /16 (65536)" or "the whole IPv4 internet". */
export function describeUnion(f: Extract<SourceFinding, { kind: "union" }>): string {
  const name = `IPv${f.version}`;
  if (f.whole) return `the whole ${name} internet`;
  return `${f.count} ${name} addresses, more than one /${f.prefix} (${f.limit})`;
}
