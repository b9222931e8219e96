import type * as digitalocean from "@pulumi/digitalocean";
import { isWorldCidr } from "../config/primitives";

/**
 * The droplet's cloud firewall, as plain data. DigitalOcean drops everything inbound that no rule
 * allows, so the rules below are the droplet's whole exposure: SSH for operators, HTTP(S) for
 * Cloudflare's edge only (the origin is never reachable around Cloudflare), nothing else (no
 * PostgreSQL, no Docker API: Docker is reached through SSH).
 */

type InboundRule = digitalocean.types.input.FirewallInboundRule;
type OutboundRule = digitalocean.types.input.FirewallOutboundRule;

export const WORLD = ["0.0.0.0/0", "::/0"] as const;

/** Sorted and de-duplicated, so a reordered source list is not a change. */
export function normalizeCidrs(cidrs: readonly string[]): string[] {
  return [...new Set(cidrs.map((c) => c.trim()).filter((c) => c !== ""))].sort();
}

export interface InboundSources {
  /** Operators' networks, allowed on 22/tcp. */
  readonly sshCidrs: readonly string[];
  /** Networks allowed on 80/tcp and 443/tcp: Cloudflare's published ranges unless overridden. */
  readonly httpCidrs: readonly string[];
}

export function inboundRules(sources: InboundSources): InboundRule[] {
  const ssh = normalizeCidrs(sources.sshCidrs);
  const http = normalizeCidrs(sources.httpCidrs);
  // An empty list would not mean "nobody" to every reader; refuse it instead of guessing.
  if (ssh.length === 0) throw new Error("firewall: SSH needs at least one source network");
  if (http.length === 0) throw new Error("firewall: HTTP(S) needs at least one source network");
  for (const cidr of [...ssh, ...http]) {
    if (isWorldCidr(cidr)) throw new Error(`firewall: ${cidr} would open the droplet to the whole internet`);
  }
  return [
    { protocol: "tcp", portRange: "22", sourceAddresses: ssh },
    { protocol: "tcp", portRange: "80", sourceAddresses: http },
    { protocol: "tcp", portRange: "443", sourceAddresses: http },
  ];
}

/**
 * Outbound is open: the host pulls packages and images, resolves names, reaches the managed
 * database (25060), SMTP, the LLM and GitHub APIs, and Sentry; their addresses are not stable.
 */
export function outboundRules(): OutboundRule[] {
  return [
    { protocol: "tcp", portRange: "1-65535", destinationAddresses: [...WORLD] },
    { protocol: "udp", portRange: "1-65535", destinationAddresses: [...WORLD] },
    { protocol: "icmp", destinationAddresses: [...WORLD] },
  ];
}
