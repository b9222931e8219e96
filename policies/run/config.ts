import type { EnforcementLevel, Policies, PolicyConfigSchema } from "@pulumi/policy";
import { PLAIN_SECRET_ENV_CHECK } from "../secret-env";
import { isRecord } from "../values";

/**
 * Policy config as the engine reconciles it before it calls the pack
 * (pkg/resource/analyzer/config.go, ReconcilePolicyPackConfig): schema defaults first, then the
 * given config; levels from the policy config, else the policy's, else the pack's.
 */

/**
 * Policy config in the shape of `pulumi preview --policy-pack-config <file>`:
 * `{ "<policy>": "advisory" | { "enforcementLevel"?: ..., ...properties }, "all"?: level }`.
 */
export type PolicyPackConfigInput = Record<string, unknown>;

export interface EffectiveConfig {
  level: EnforcementLevel;
  properties: Record<string, unknown>;
}

const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

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

/**
 * Each policy's effective level and properties. The offline-only plain-secret check
 * (`PLAIN_SECRET_ENV_CHECK`) takes part, so a config file can set its level like any policy's.
 */
export function reconcileConfig(
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
