import type {
  EnforcementLevel,
  Policies,
  ResourceValidation,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { enforcementLevel as packEnforcementLevel } from "../all";
import { Graph, type RecordedPolicyResource, pulumiTypeOf, sdkInternals } from "./adapter";
import { type EffectiveConfig, type PolicyPackConfigInput, reconcileConfig } from "./config";
import { type PolicyViolation, Report } from "./report";

/**
 * The offline runner: calls a pack's own `validateResource`/`validateStack` functions on a recorded
 * resource graph (the synth's mock-runtime recording) in CrossGuard's order: every resource policy
 * per resource, then the stack policies. Like server.js it skips a resource policy whose single
 * function carries another `__pulumiType`, calls every function of an array, and skips a stack
 * policy typed to a resource type the graph lacks; "disabled" policies do not run.
 */

export interface RunOptions {
  /** The pack's default level (index.ts passes the same value to `new PolicyPack`). */
  packEnforcementLevel?: EnforcementLevel;
  packName?: string;
}

const PACK_NAME = "docstown";

interface Run {
  graph: Graph;
  config: Map<string, EffectiveConfig>;
  report: Report;
}

function isResourcePolicy(p: ResourceValidationPolicy | StackValidationPolicy): p is ResourceValidationPolicy {
  return "validateResource" in p || "remediateResource" in p;
}

function isStackPolicy(p: ResourceValidationPolicy | StackValidationPolicy): p is StackValidationPolicy {
  return "validateStack" in p && typeof p.validateStack === "function";
}

function levelOf(run: Run, policy: string): EnforcementLevel {
  return run.config.get(policy)?.level ?? "advisory";
}

function propertiesOf(run: Run, policy: string): Record<string, unknown> {
  return run.config.get(policy)?.properties ?? {};
}

async function runResourcePolicies(run: Run, policies: readonly ResourceValidationPolicy[], r: RecordedPolicyResource): Promise<void> {
  for (const p of policies) {
    const level = levelOf(run, p.name);
    if (level === "disabled" || p.validateResource === undefined) continue;
    const validations: ResourceValidation[] = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
    const onlyType = Array.isArray(p.validateResource) ? undefined : pulumiTypeOf(p.validateResource);
    if (onlyType !== undefined && onlyType !== r.type) continue;
    const report = run.report.reporter(p.name, level, r.urn);
    for (const validation of validations) {
      await run.report.guarded(p.name, r.urn, "resource", () => validation(run.graph.resourceArgs(r, propertiesOf(run, p.name)), report));
    }
  }
}

async function runStackPolicy(run: Run, p: StackValidationPolicy): Promise<void> {
  const level = levelOf(run, p.name);
  if (level === "disabled") return;
  const onlyType = pulumiTypeOf(p.validateStack);
  if (onlyType !== undefined && !run.graph.resources.some((r) => r.type === onlyType)) return;
  const report = run.report.reporter(p.name, level);
  await run.report.guarded(p.name, undefined, "stack", () => p.validateStack(run.graph.stackArgs(propertiesOf(run, p.name)), report));
}

/** Runs `policies` over `resources` like CrossGuard: every resource policy per resource, then the stack policies. */
export async function runPolicyPack(
  policies: Policies,
  resources: RecordedPolicyResource[],
  config?: PolicyPackConfigInput,
  options: RunOptions = {},
): Promise<PolicyViolation[]> {
  const sdk = sdkInternals();
  const run: Run = {
    graph: new Graph(resources, sdk),
    config: reconcileConfig(policies, config, options.packEnforcementLevel ?? packEnforcementLevel),
    report: new Report(options.packName ?? PACK_NAME, sdk),
  };
  const resourcePolicies = policies.filter(isResourcePolicy);
  for (const r of resources) await runResourcePolicies(run, resourcePolicies, r);
  for (const p of policies.filter(isStackPolicy)) await runStackPolicy(run, p);
  return run.report.violations;
}
