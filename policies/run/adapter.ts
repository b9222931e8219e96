import * as policySdk from "@pulumi/policy";
import type {
  PolicyCustomTimeouts,
  PolicyProviderResource,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  StackValidationArgs,
} from "@pulumi/policy";
import { isRecord } from "../values";

/**
 * The CrossGuard adapter: builds the argument objects a policy receives the way
 * node_modules/@pulumi/policy/server.js builds them, from a recorded resource graph.
 * - resource policies (makeAnalyzeRpcFun): props wrapped in `unknownCheckingProxy`, `isType`/`asType`
 *   by the class's `__pulumiType`, `getConfig` per policy, `notApplicable` throwing;
 * - stack policies (makeAnalyzeStackRpcFun): `PolicyResource`s whose parent, dependencies and
 *   propertyDependencies are resolved to the other `PolicyResource` objects (unresolvable URNs dropped).
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

/** The SDK's runtime exports that its own .d.ts omits (index.js re-exports them from proxy.js). */
export interface SdkInternals {
  unknownCheckingProxy: <T>(value: T) => T;
  UnknownValueError: new (...args: never[]) => Error;
}

export function sdkInternals(): SdkInternals {
  const sdk = policySdk as unknown as Partial<SdkInternals>;
  if (typeof sdk.unknownCheckingProxy !== "function" || typeof sdk.UnknownValueError !== "function") {
    throw new Error("@pulumi/policy no longer exports unknownCheckingProxy/UnknownValueError; update policies/run/adapter.ts");
  }
  return { unknownCheckingProxy: sdk.unknownCheckingProxy, UnknownValueError: sdk.UnknownValueError };
}

/** Stands in for the SDK's private NotApplicableError (server.js): ends one validation silently. */
export class NotApplicableError extends Error {
  constructor(readonly reason?: string) {
    super(reason ?? "Policy does not apply");
  }
}

function throwNotApplicable(reason?: string): never {
  throw new NotApplicableError(reason);
}

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

export function wireProps(props: Record<string, unknown>): Record<string, unknown> {
  const value = wireValue(props);
  return isRecord(value) ? value : {};
}

export function pulumiTypeOf(value: unknown): string | undefined {
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

/** A recorded graph, handed to policies as CrossGuard hands the engine's resources. */
export class Graph {
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

  /** The arguments of one `validateResource` call; `getConfig` returns a copy of the policy's properties. */
  resourceArgs(r: RecordedPolicyResource, config: Record<string, unknown>): ResourceValidationArgs {
    const props = this.sdk.unknownCheckingProxy(wireProps(r.props));
    const args: ResourceValidationArgs = {
      type: r.type,
      props,
      urn: r.urn,
      name: r.name,
      opts: resourceOptions(r),
      stackTags: new Map<string, string>(),
      isType: (resourceClass) => isTypeOf(r.type, resourceClass),
      asType: ((resourceClass: unknown) => (isTypeOf(r.type, resourceClass) ? props : undefined)) as ResourceValidationArgs["asType"],
      getConfig: <T extends object>() => ({ ...config }) as T,
      notApplicable: throwNotApplicable,
    };
    const provider = this.provider(r);
    if (provider) args.provider = provider;
    return args;
  }

  /** The arguments of one `validateStack` call: the stack view, rebuilt for each policy like the SDK does. */
  stackArgs(config: Record<string, unknown>): StackValidationArgs {
    return {
      resources: this.policyResources(),
      stackTags: new Map<string, string>(),
      getConfig: <T extends object>() => ({ ...config }) as T,
      notApplicable: throwNotApplicable,
    };
  }

  private policyResources(): PolicyResource[] {
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
