import { runPolicies, type PolicyViolation } from "../../policies/run";
import type { DocsTownConfig } from "../config/load";
import type { SynthResult } from "./recorder";

/**
 * What the pack must know of this stack's config, so it checks the configured values, not its
 * defaults: where the repos live, and the broadest prefixes operators.broadestPrefix allows.
 */
export function policyConfigFor(config: DocsTownConfig): Record<string, unknown> {
  if (config.target !== "digitalocean") return {};
  const { ipv4, ipv6 } = config.operators.broadestPrefix;
  return {
    "persistent-volume-presence": { mountPath: config.volume.mountPath },
    "firewall-inbound-restricted": { broadestIpv4Prefix: ipv4, broadestIpv6Prefix: ipv6 },
    "database-firewall-restricted": { broadestIpv4Prefix: ipv4 },
  };
}

/**
 * Runs the policy pack's own policy functions over the recorded graph, as
 * `pulumi preview --policy-pack policies` would, plus the secret-env check CrossGuard cannot do
 * (it sees secrets unwrapped; the recorder knows which inputs were secret).
 */
export function checkPolicies(result: SynthResult, config: Record<string, unknown> = {}): Promise<PolicyViolation[]> {
  return runPolicies(
    result.resources.map((r) => ({
      urn: r.urn,
      type: r.type,
      name: r.name,
      props: r.inputs,
      opts: { ...r.options },
      parent: r.parent,
      provider: r.provider,
      dependencies: r.dependencies,
      propertyDependencies: r.propertyDependencies,
      secretPaths: r.secretPaths,
    })),
    config,
  );
}
