import * as policySdk from "@pulumi/policy";
import type {
  EnforcementLevel,
  Policies,
  PolicyConfigSchema,
  PolicyCustomTimeouts,
  PolicyProviderResource,
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { allPolicies, enforcementLevel as packEnforcementLevel } from "./all";
import { PLAIN_SECRET_ENV_CHECK, findPlainSecretEnv } from "./secret-env";
import { isRecord } from "./values";

/**
 * Offline runner: calls the pack's own `validateResource`/`validateStack` functions on a recorded
 * resource graph (the synth's mock-runtime recording) with argument objects built the way
 * CrossGuard builds them in node_modules/@pulumi/policy/server.js:
 * - resource policies (makeAnalyzeRpcFun): props wrapped in `unknownCheckingProxy`, `isType`/`asType`
 *   by the class's `__pulumiType`, `getConfig` per policy, `notApplicable` throwing, the
 *   `__pulumiType` fast path that skips other resource types, every function of an array called;
 * - stack policies (makeAnalyzeStackRpcFun): `PolicyResource`s whose parent, dependencies and
 *   propertyDependencies are resolved to the other `PolicyResource` objects (unresolvable URNs dropped);
 * - errors: `UnknownValueError` becomes one advisory "can't run policy ... during preview",
 *   `notApplicable` (the SDK's private NotApplicableError, server.js) ends that validation silently,
 *   anything else fails the run, as it fails `pulumi preview`;
 * - levels: policy config level, else the policy's, else the pack's; "remediate" reports as
 *   mandatory, "disabled" does not run;
 * - config: schema defaults first, then `config`, as the engine's ReconcilePolicyPackConfig does.
 * Messages are returned as the policy reported them (the CLI prefixes the policy description).
 */

export interface RecordedPolicyResource {
  urn: string;
  type: string;
  name: string;
  props: Record<string, unknown>;
  opts: { protect?: boolean; [k: string]: unknown };
  parent?: string /* urn */;
  provider?: string;
  dependencies: string[] /* urns */;
  propertyDependencies: Record<string, string[]>;
  secretPaths?: string[];
}

export interface PolicyViolation {
  policy: string;
  enforcementLevel: "mandatory" | "advisory";
  urn?: string;
  message: string;
}

/**
 * Policy config in the shape of `pulumi preview --policy-pack-config <file>`:
 * `{ "<policy>": "advisory" | { "enforcementLevel"?: ..., ...properties }, "all"?: level }`.
 */
export type PolicyPackConfigInput = Record<string, unknown>;

export interface RunOptions {
  /** The pack's default level (index.ts passes the same value to `new PolicyPack`). */
  packEnforcementLevel?: EnforcementLevel;
  packName?: string;
}

const PACK_NAME = "docstown";
const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

/** The SDK's runtime exports that its own .d.ts omits (index.js re-exports them from proxy.js). */
interface SdkInternals {
  unknownCheckingProxy: <T>(value: T) => T;
  UnknownValueError: new (...args: never[]) => Error;
}

function sdkInternals(): SdkInternals {
  const sdk = policySdk as unknown as Partial<SdkInternals>;
  if (typeof sdk.unknownCheckingProxy !== "function" || typeof sdk.UnknownValueError !== "function") {
    throw new Error("@pulumi/policy no longer exports unknownCheckingProxy/UnknownValueError; update policies/run.ts");
  }
  return { unknownCheckingProxy: sdk.unknownCheckingProxy, UnknownValueError: sdk.UnknownValueError };
}

class NotApplicableError extends Error {
  constructor(readonly reason?: string) {
    super(reason ?? "Policy does not apply");
  }
}

function throwNotApplicable(reason?: string): never {
  throw new NotApplicableError(reason);
}

// ---------------------------------------------------------------------------------------------
// Config, as the engine reconciles it (pkg/resource/analyzer/config.go, ReconcilePolicyPackConfig).

interface EffectiveConfig {
  level: EnforcementLevel;
  properties: Record<string, unknown>;
}

function isLevel(value: unknown): value is EnforcementLevel {
  return typeof value === "string" && (LEVELS as readonly string[]).includes(value);
}

function levelOrThrow(value: unknown, where: string): EnforcementLevel {
  if (isLevel(value)) return value;
  throw new Error(`policy config ${where}: enforcementLevel must be one of ${LEVELS.join(", ")}, got ${JSON.stringify(value)}`);
}

function schemaDefaults(schema: PolicyConfigSchema | undefined): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(schema?.properties ?? {})) {
    if (property.default !== undefined) defaults[key] = property.default;
  }
  return defaults;
}

function checkSchema(policy: string, schema: PolicyConfigSchema | undefined, properties: Record<string, unknown>): void {
  for (const key of schema?.required ?? []) {
    if (properties[key] === undefined) throw new Error(`policy config ${policy}.${key}: required`);
  }
  for (const [key, value] of Object.entries(properties)) {
    const property = schema?.properties[key];
    if (property === undefined) throw new Error(`policy config ${policy}.${key}: not a config property of this policy`);
    const types = property.type === undefined ? [] : Array.isArray(property.type) ? property.type : [property.type];
    const typeOk =
      types.length === 0 ||
      types.some((t) =>
        t === "integer" ? Number.isInteger(value) : t === "array" ? Array.isArray(value) : t === "null" ? value === null : typeof value === t,
      );
    if (!typeOk) throw new Error(`policy config ${policy}.${key}: must be of type ${types.join(" | ")}, got ${JSON.stringify(value)}`);
    if (typeof value === "number" && property.minimum !== undefined && value < property.minimum) {
      throw new Error(`policy config ${policy}.${key}: must be at least ${property.minimum}, got ${value}`);
    }
    if (typeof value === "string" && property.pattern !== undefined && !new RegExp(property.pattern).test(value)) {
      throw new Error(`policy config ${policy}.${key}: must match ${property.pattern}, got ${JSON.stringify(value)}`);
    }
  }
}

function reconcileConfig(
  policies: Policies,
  config: PolicyPackConfigInput | undefined,
  packLevel: EnforcementLevel,
): Map<string, EffectiveConfig> {
  const result = new Map<string, EffectiveConfig>();
  for (const p of policies) {
    result.set(p.name, { level: p.enforcementLevel ?? packLevel, properties: schemaDefaults(p.configSchema) });
  }
  result.set(PLAIN_SECRET_ENV_CHECK, { level: "mandatory", properties: {} });
  const all = config?.["all"];
  if (all !== undefined) {
    const level = levelOrThrow(isRecord(all) ? all["enforcementLevel"] : all, "all");
    result.forEach((c) => (c.level = level));
  }
  for (const [name, given] of Object.entries(config ?? {})) {
    if (name === "all") continue;
    const current = result.get(name);
    if (current === undefined) throw new Error(`policy config ${name}: no such policy in the pack`);
    if (!isRecord(given)) {
      current.level = levelOrThrow(given, name);
      continue;
    }
    const { enforcementLevel, ...properties } = given;
    if (enforcementLevel !== undefined) current.level = levelOrThrow(enforcementLevel, name);
    current.properties = { ...current.properties, ...properties };
  }
  for (const p of policies) checkSchema(p.name, p.configSchema, result.get(p.name)?.properties ?? {});
  return result;
}

// ---------------------------------------------------------------------------------------------
// Argument objects.

/** Properties as they cross the wire: no undefined object keys, undefined array items as null. */
function wireValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : wireValue(v)));
  if (isRecord(value) && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = wireValue(v);
    return out;
  }
  return value;
}

function wireProps(props: Record<string, unknown>): Record<string, unknown> {
  const value = wireValue(props);
  return isRecord(value) ? value : {};
}

function pulumiTypeOf(value: unknown): string | undefined {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return undefined;
  const type: unknown = Reflect.get(value, "__pulumiType");
  return typeof type === "string" && type.length > 0 ? type : undefined;
}

/** server.js isTypeOf: the class's `__pulumiType`, else its `isInstance`. */
function isTypeOf(type: string, resourceClass: unknown): boolean {
  const pulumiType = pulumiTypeOf(resourceClass);
  if (pulumiType) return type === pulumiType;
  const isInstance: unknown =
    typeof resourceClass === "function" || isRecord(resourceClass) ? Reflect.get(resourceClass, "isInstance") : undefined;
  return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}

/** `urn:pulumi:<stack>::<project>::<parent$type>::<name>` -> type and name. */
function parseUrn(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  const qualified = parts[2] ?? "";
  return { type: qualified.split("$").pop() ?? qualified, name: parts.slice(3).join("::") };
}

/** Go-style durations ("5m", "1h30m", "90s") or numbers of seconds. */
function seconds(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value !== "string") return 0;
  let total = 0;
  for (const [, amount, unit] of value.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    total += Number(amount) * ({ h: 3600, m: 60, s: 1, ms: 0.001 }[unit as "h" | "m" | "s" | "ms"] ?? 0);
  }
  return total;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function customTimeouts(value: unknown): PolicyCustomTimeouts {
  const t = isRecord(value) ? value : {};
  return {
    createSeconds: seconds(t["create"] ?? t["createSeconds"]),
    updateSeconds: seconds(t["update"] ?? t["updateSeconds"]),
    deleteSeconds: seconds(t["delete"] ?? t["deleteSeconds"]),
  };
}

/** server.js getResourceOptions. */
function resourceOptions(r: RecordedPolicyResource): PolicyResourceOptions {
  const o = r.opts;
  const options: PolicyResourceOptions = {
    protect: o.protect === true,
    ignoreChanges: strings(o["ignoreChanges"]),
    aliases: strings(o["aliases"]),
    customTimeouts: customTimeouts(o["customTimeouts"]),
    additionalSecretOutputs: strings(o["additionalSecretOutputs"]),
  };
  if (typeof o["deleteBeforeReplace"] === "boolean") options.deleteBeforeReplace = o["deleteBeforeReplace"];
  if (r.parent) options.parent = r.parent;
  return options;
}

class Graph {
  readonly byUrn: Map<string, RecordedPolicyResource>;

  constructor(
    readonly resources: readonly RecordedPolicyResource[],
    readonly sdk: SdkInternals,
  ) {
    this.byUrn = new Map(resources.map((r) => [r.urn, r]));
  }

  /** server.js getProviderResource; a reference may be `<urn>` or `<urn>::<id>`. */
  provider(r: RecordedPolicyResource): PolicyProviderResource | undefined {
    const ref = r.provider;
    if (!ref) return undefined;
    const recorded = this.byUrn.get(ref) ?? this.resources.find((p) => ref.startsWith(`${p.urn}::`));
    const urn = recorded?.urn ?? ref;
    const parsed = parseUrn(urn);
    return {
      type: recorded?.type ?? parsed.type,
      props: this.sdk.unknownCheckingProxy(wireProps(recorded?.props ?? {})),
      urn,
      name: recorded?.name ?? parsed.name,
    };
  }

  /** The stack view of makeAnalyzeStackRpcFun, rebuilt for each policy like the SDK does. */
  policyResources(): PolicyResource[] {
    const built = new Map<string, PolicyResource>();
    for (const r of this.resources) {
      const props = this.sdk.unknownCheckingProxy(wireProps(r.props));
      const resource: PolicyResource = {
        type: r.type,
        props,
        urn: r.urn,
        name: r.name,
        opts: resourceOptions(r),
        dependencies: [],
        propertyDependencies: {},
        isType: (resourceClass) => isTypeOf(r.type, resourceClass),
        asType: ((resourceClass: unknown) => (isTypeOf(r.type, resourceClass) ? props : undefined)) as PolicyResource["asType"],
      };
      const provider = this.provider(r);
      if (provider) resource.provider = provider;
      built.set(r.urn, resource);
    }
    const resolve = (urns: readonly string[]) =>
      urns.map((u) => built.get(u)).filter((d): d is PolicyResource => d !== undefined);
    for (const r of this.resources) {
      const resource = built.get(r.urn);
      if (!resource) continue;
      const parent = r.parent ? built.get(r.parent) : undefined;
      if (parent) resource.parent = parent;
      resource.dependencies = resolve(r.dependencies);
      for (const [key, urns] of Object.entries(r.propertyDependencies)) resource.propertyDependencies[key] = resolve(urns);
    }
    return [...built.values()];
  }
}

function isResourcePolicy(p: ResourceValidationPolicy | StackValidationPolicy): p is ResourceValidationPolicy {
  return "validateResource" in p || "remediateResource" in p;
}

function isStackPolicy(p: ResourceValidationPolicy | StackValidationPolicy): p is StackValidationPolicy {
  return "validateStack" in p && typeof p.validateStack === "function";
}

interface Run {
  graph: Graph;
  config: Map<string, EffectiveConfig>;
  packName: string;
  violations: PolicyViolation[];
}

function reportLevel(level: EnforcementLevel): "mandatory" | "advisory" {
  return level === "advisory" ? "advisory" : "mandatory";
}

function getConfigFor<T extends object>(run: Run, policy: string): T {
  return { ...(run.config.get(policy)?.properties ?? {}) } as T;
}

async function guarded(run: Run, policy: string, urn: string | undefined, kind: string, call: () => Promise<void> | void): Promise<void> {
  try {
    await call();
  } catch (e) {
    if (e instanceof NotApplicableError) return;
    const from = `policy '${policy}' from policy pack '${run.packName}'`;
    if (e instanceof run.graph.sdk.UnknownValueError) {
      run.violations.push({ policy, enforcementLevel: "advisory", urn, message: `can't run ${from} during preview: ${e.message}` });
      return;
    }
    const detail = e instanceof Error ? e.message : String(e);
    throw new Error(`Error validating ${kind} with ${from}: ${detail}`, { cause: e });
  }
}

async function runResourcePolicies(run: Run, policies: readonly ResourceValidationPolicy[], r: RecordedPolicyResource): Promise<void> {
  const opts = resourceOptions(r);
  const provider = run.graph.provider(r);
  for (const p of policies) {
    const level = run.config.get(p.name)?.level ?? "advisory";
    if (level === "disabled" || p.validateResource === undefined) continue;
    const validations: ResourceValidation[] = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
    const onlyType = Array.isArray(p.validateResource) ? undefined : pulumiTypeOf(p.validateResource);
    if (onlyType !== undefined && onlyType !== r.type) continue;
    const report: ReportViolation = (message) =>
      run.violations.push({ policy: p.name, enforcementLevel: reportLevel(level), urn: r.urn, message });
    for (const validation of validations) {
      await guarded(run, p.name, r.urn, "resource", () => {
        const props = run.graph.sdk.unknownCheckingProxy(wireProps(r.props));
        const args: ResourceValidationArgs = {
          type: r.type,
          props,
          urn: r.urn,
          name: r.name,
          opts,
          stackTags: new Map<string, string>(),
          isType: (resourceClass) => isTypeOf(r.type, resourceClass),
          asType: ((resourceClass: unknown) => (isTypeOf(r.type, resourceClass) ? props : undefined)) as ResourceValidationArgs["asType"],
          getConfig: <T extends object>() => getConfigFor<T>(run, p.name),
          notApplicable: throwNotApplicable,
        };
        if (provider) args.provider = provider;
        return validation(args, report);
      });
    }
  }
}

async function runStackPolicy(run: Run, p: StackValidationPolicy): Promise<void> {
  const level = run.config.get(p.name)?.level ?? "advisory";
  if (level === "disabled") return;
  const onlyType = pulumiTypeOf(p.validateStack);
  if (onlyType !== undefined && !run.graph.resources.some((r) => r.type === onlyType)) return;
  const report: ReportViolation = (message, urn) =>
    run.violations.push({ policy: p.name, enforcementLevel: reportLevel(level), ...(urn === undefined ? {} : { urn }), message });
  await guarded(run, p.name, undefined, "stack", () => {
    const args: StackValidationArgs = {
      resources: run.graph.policyResources(),
      stackTags: new Map<string, string>(),
      getConfig: <T extends object>() => getConfigFor<T>(run, p.name),
      notApplicable: throwNotApplicable,
    };
    return p.validateStack(args, report);
  });
}

/** Runs `policies` over `resources` like CrossGuard: every resource policy per resource, then the stack policies. */
export async function runPolicyPack(
  policies: Policies,
  resources: RecordedPolicyResource[],
  config?: PolicyPackConfigInput,
  options: RunOptions = {},
): Promise<PolicyViolation[]> {
  const run: Run = {
    graph: new Graph(resources, sdkInternals()),
    config: reconcileConfig(policies, config, options.packEnforcementLevel ?? packEnforcementLevel),
    packName: options.packName ?? PACK_NAME,
    violations: [],
  };
  const resourcePolicies = policies.filter(isResourcePolicy);
  for (const r of resources) await runResourcePolicies(run, resourcePolicies, r);
  for (const p of policies.filter(isStackPolicy)) await runStackPolicy(run, p);
  return run.violations;
}

/**
 * The whole DocsTown pack over a recorded graph, plus `findPlainSecretEnv` for every container
 * whose secret paths were recorded (reported as `container-secret-env-values`, mandatory unless
 * `config` says otherwise). `config` has the shape of a `--policy-pack-config` file.
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
