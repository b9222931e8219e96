import { runPolicies, type PolicyViolation } from "../../policies/run";
import type { SynthResult } from "./recorder";

/**
 * Runs the policy pack's own policy functions over the recorded graph, as
 * `pulumi preview --policy-pack policies` would, plus the secret-env check CrossGuard cannot do
 * (it sees secrets unwrapped; the recorder knows which inputs were secret).
 */
export function checkPolicies(result: SynthResult): Promise<PolicyViolation[]> {
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
  );
}
