import { runPolicies, type PolicyViolation } from "../../policies/run";
import type { DocsTownConfig } from "../config/load";
import type { SynthResult } from "./recorder";

/** Where the repos live in this stack, so the pack checks the configured path, not its default. */
export function policyConfigFor(config: DocsTownConfig): Record<string, unknown> {
  return config.target === "digitalocean"
    ? { "persistent-volume-presence": { mountPath: config.volume.mountPath } }
    : {};
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
