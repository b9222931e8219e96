import type * as digitalocean from "@pulumi/digitalocean";
import { isCidr, isWorldCidr } from "../config/primitives";
import { normalizeCidrs } from "./firewall";

/**
 * The DigitalOcean load balancer in front of the web hosts, as plain data.
 *
 * TLS passes through: each web host's proxy terminates it with the Cloudflare Origin CA
 * certificate it already has, so the load balancer never holds a key and never sends a decrypted
 * request on. Port 80 goes to the proxies' port 80 (they redirect to HTTPS; Cloudflare's Always
 * HTTPS sends nothing there anyway). Only Cloudflare's edge may connect (`firewall.allows`), like
 * the droplet firewall's 80/443. The health check opens TCP 443 on each droplet: the proxy has no
 * plain health endpoint, and each host's web container is gated on its own `/up` before the old
 * one stops, so a host whose proxy answers is serving.
 */

type ForwardingRule = digitalocean.types.input.LoadBalancerForwardingRule;
type Healthcheck = digitalocean.types.input.LoadBalancerHealthcheck;

export interface LoadBalancerSpec {
  readonly forwardingRules: ForwardingRule[];
  readonly healthcheck: Healthcheck;
  readonly firewall: { allows: string[] };
  /** The proxies redirect to HTTPS themselves; with passthrough the load balancer cannot. */
  readonly redirectHttpToHttps: false;
}

/** A check every 10 s, out after 3 misses, back after 3 answers (the provider's default is 5: a recovered host returns sooner). */
export const HEALTHCHECK: Healthcheck = {
  protocol: "tcp",
  port: 443,
  checkIntervalSeconds: 10,
  responseTimeoutSeconds: 5,
  unhealthyThreshold: 3,
  healthyThreshold: 3,
};

/**
 * The load balancer's settings for `sources` (Cloudflare's IPv4 ranges: the apex A record is
 * IPv4, so Cloudflare reaches it over IPv4 only). Refuses an empty or world-open list: with no
 * allow rule a DigitalOcean load balancer takes every address.
 */
export function loadBalancerSpec(sources: readonly string[]): LoadBalancerSpec {
  const cidrs = normalizeCidrs(sources).filter((c) => !c.includes(":"));
  if (cidrs.length === 0) throw new Error("load balancer: needs at least one IPv4 source network (Cloudflare's ranges)");
  for (const cidr of cidrs) {
    if (!isCidr(cidr)) throw new Error(`load balancer: not a network in CIDR notation: ${cidr}`);
    if (isWorldCidr(cidr)) throw new Error(`load balancer: ${cidr} would open it to the whole internet`);
  }
  return {
    forwardingRules: [
      { entryProtocol: "https", entryPort: 443, targetProtocol: "https", targetPort: 443, tlsPassthrough: true },
      { entryProtocol: "http", entryPort: 80, targetProtocol: "http", targetPort: 80 },
    ],
    healthcheck: HEALTHCHECK,
    firewall: { allows: cidrs.map((c) => `cidr:${c}`) },
    redirectHttpToHttps: false,
  };
}
