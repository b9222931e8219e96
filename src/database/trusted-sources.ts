import { isCidr, isWorldCidr } from "../config/primitives";

/** One DigitalOcean database firewall rule (a "trusted source"). */
export interface TrustedSource<T = string> {
  readonly type: "droplet" | "ip_addr";
  readonly value: T;
}

/**
 * The cluster's trusted sources: the app's droplets (reached over the VPC) and the operators'
 * networks, which the `postgresql` provider needs because `pulumi up` applies the grants from
 * the operator's machine over the cluster's public host.
 *
 * Config validation already refuses world-open networks; this refuses them again because a
 * cluster with a world-open rule is reachable by anyone holding a password, and DigitalOcean
 * accepts IPv4 rules only.
 */
export function trustedSources<T>(dropletIds: readonly T[], operatorCidrs: readonly string[]): TrustedSource<T | string>[] {
  if (dropletIds.length === 0) throw new Error("the database must trust at least one droplet: the app cannot reach it otherwise");
  const seen = new Set<string>();
  const networks = operatorCidrs.map((cidr) => {
    if (isWorldCidr(cidr)) throw new Error(`refusing to open the database to the whole internet (${cidr})`);
    if (!isCidr(cidr)) throw new Error(`not a network in CIDR notation: ${cidr}`);
    if (cidr.includes(":")) throw new Error(`DigitalOcean database firewalls accept IPv4 networks only, got ${cidr}`);
    if (seen.has(cidr)) throw new Error(`operator network listed twice: ${cidr}`);
    seen.add(cidr);
    return { type: "ip_addr" as const, value: cidr };
  });
  return [...dropletIds.map((id) => ({ type: "droplet" as const, value: id })), ...networks];
}
