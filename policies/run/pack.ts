import { allPolicies, enforcementLevel as packEnforcementLevel } from "../all";
import { PLAIN_SECRET_ENV_CHECK, findPlainSecretEnv } from "../secret-env";
import { type RecordedPolicyResource, wireProps } from "./adapter";
import { reconcileConfig } from "./config";
import { type PolicyViolation, reportLevel } from "./report";
import { runPolicyPack } from "./runner";

/**
 * The whole DocsTown pack over a recorded graph, plus `findPlainSecretEnv` for every container
 * whose secret paths were recorded (reported as `container-secret-env-values`, mandatory unless
 * `config` says otherwise): CrossGuard sees secrets unwrapped, only the recording knows which
 * inputs were secret. `config` has the shape of a `--policy-pack-config` file.
 */
export async function runPolicies(
  resources: RecordedPolicyResource[],
  config?: Record<string, unknown>,
): Promise<PolicyViolation[]> {
  const violations = await runPolicyPack(allPolicies, resources, config);
  const level = reconcileConfig(allPolicies, config, packEnforcementLevel).get(PLAIN_SECRET_ENV_CHECK)?.level ?? "mandatory";
  if (level === "disabled") return violations;
  for (const r of resources) {
    if (r.secretPaths === undefined) continue;
    const messages = findPlainSecretEnv({ urn: r.urn, type: r.type, props: wireProps(r.props), secretPaths: r.secretPaths });
    for (const message of messages) {
      violations.push({ policy: PLAIN_SECRET_ENV_CHECK, enforcementLevel: reportLevel(level), urn: r.urn, message });
    }
  }
  return violations;
}
