import { createHash } from "node:crypto";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { UNKNOWN, isRecord, isUnknownValue, plainProps, quote, readString, type Props } from "./values";

/**
 * Replacements that cannot apply: a resource replaced create-first (Pulumi's default) while the
 * provider refuses a second resource under the same name. A change of any input the provider
 * marks ForceNew replaces the resource; if the name stays, the create of the new one fails
 * (DigitalOcean's connection pools: `422 pool name is not available`,
 * terraform-provider-digitalocean #925) and the `pulumi up` stops half way.
 *
 * The table lists every DigitalOcean type the program declares, with the inputs that force a
 * replacement (ForceNew in terraform-provider-digitalocean v2.99.1, the schema of each
 * resource_*.go; a resource without an Update function, like the connection pool, is replaced on
 * every change), and, where the API keeps a name unique, that name and its scope. A resource of
 * such a type must be one of:
 * - protected (the engine refuses its replacement: the preview fails instead), or
 * - delete-before-replace, and not retained on delete (a retained old one keeps the name), or
 * - named after what forces its replacement: the name ends with `-<replacementKey>` of those
 *   inputs, or carries each of their values as a `-` separated part (`docstown-production-fra1`
 *   for a VPC's region), so a change of them is a change of name.
 */

export interface UniqueName {
  /** The input the API keeps unique. */
  readonly input: string;
  /** Inputs that scope the uniqueness (a pool's name is unique within its cluster). */
  readonly within: readonly string[];
  /** Where the uniqueness is stated. */
  readonly evidence: string;
}

export interface ReplacementRule {
  /** Inputs (Pulumi names) whose change replaces the resource. */
  readonly forcesReplacement: readonly string[];
  readonly uniqueName?: UniqueName;
}

/** terraform-provider-digitalocean v2.99.1, per resource: ForceNew fields, and unique names. */
export const REPLACEMENT_RULES: Readonly<Record<string, ReplacementRule>> = {
  // database/resource_database_connection_pool.go: every field ForceNew, no UpdateContext.
  "digitalocean:index/databaseConnectionPool:DatabaseConnectionPool": {
    forcesReplacement: ["clusterId", "name", "user", "mode", "size", "dbName"],
    uniqueName: { input: "name", within: ["clusterId"], evidence: "API: \"A unique name for the connection pool\"; 422 pool name is not available, terraform-provider-digitalocean #925" },
  },
  "digitalocean:index/databaseCluster:DatabaseCluster": {
    forcesReplacement: ["engine", "name", "privateNetworkUuid", "projectId"],
    uniqueName: { input: "name", within: [], evidence: "API: a cluster's name is unique in the account" },
  },
  "digitalocean:index/databaseDb:DatabaseDb": {
    forcesReplacement: ["clusterId", "name"],
    uniqueName: { input: "name", within: ["clusterId"], evidence: "PostgreSQL: database names are unique in a cluster" },
  },
  "digitalocean:index/databaseUser:DatabaseUser": {
    forcesReplacement: ["clusterId", "name"],
    uniqueName: { input: "name", within: ["clusterId"], evidence: "PostgreSQL: role names are unique in a cluster" },
  },
  "digitalocean:index/databaseFirewall:DatabaseFirewall": { forcesReplacement: ["clusterId"] },
  "digitalocean:index/vpc:Vpc": {
    forcesReplacement: ["ipRange", "region"],
    uniqueName: { input: "name", within: [], evidence: "API: a VPC's name \"Must be unique\"" },
  },
  "digitalocean:index/volume:Volume": {
    forcesReplacement: ["description", "initialFilesystemLabel", "initialFilesystemType", "name", "region", "snapshotId"],
    uniqueName: { input: "name", within: ["region"], evidence: "API: 409 already exists for a second volume of that name (hashicorp/terraform #8023)" },
  },
  // The key itself is what the API keeps unique, and the only input that forces a replacement.
  "digitalocean:index/sshKey:SshKey": {
    forcesReplacement: ["publicKey"],
    uniqueName: { input: "publicKey", within: [], evidence: "API: a public key is added to an account once" },
  },
  "digitalocean:index/tag:Tag": {
    forcesReplacement: ["name"],
    uniqueName: { input: "name", within: [], evidence: "API: a tag is its name" },
  },
  "digitalocean:index/droplet:Droplet": {
    forcesReplacement: ["dropletAgent", "gpuPartitionMode", "image", "monitoring", "publicNetworking", "region", "sshKeys", "userData", "vpcUuid"],
  },
  "digitalocean:index/firewall:Firewall": { forcesReplacement: [] },
  // loadbalancer/resource_loadbalancer.go: region, vpc_uuid, type and network_type are ForceNew; the name is not unique.
  "digitalocean:index/loadBalancer:LoadBalancer": { forcesReplacement: ["network", "region", "type", "vpcUuid"] },
  "digitalocean:index/reservedIp:ReservedIp": { forcesReplacement: ["region"] },
  "digitalocean:index/reservedIpAssignment:ReservedIpAssignment": { forcesReplacement: ["dropletId", "ipAddress"] },
  "digitalocean:index/volumeAttachment:VolumeAttachment": { forcesReplacement: ["dropletId", "volumeId"] },
  "digitalocean:index/uptimeCheck:UptimeCheck": { forcesReplacement: [] },
  "digitalocean:index/uptimeAlert:UptimeAlert": { forcesReplacement: [] },
  "digitalocean:index/monitorAlert:MonitorAlert": { forcesReplacement: [] },
};

/** Inputs that replace a resource without being its unique name or that name's scope: the name must carry them. */
export function carriedInputs(rule: ReplacementRule): string[] {
  const name = rule.uniqueName;
  if (name === undefined) return [];
  return rule.forcesReplacement.filter((k) => k !== name.input && !name.within.includes(k));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (isRecord(value)) return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical(value[k])]));
  return value;
}

/**
 * Eight hex digits of SHA-256 over the given inputs (keys sorted, numbers as numbers): the suffix a
 * name carries so that a change of any of them is a change of name.
 */
export function replacementKey(values: Readonly<Record<string, unknown>>): string {
  return createHash("sha256").update(JSON.stringify(canonical(values))).digest("hex").slice(0, 8);
}

export interface ReplacementOptions {
  readonly protect?: boolean;
  readonly deleteBeforeReplace?: boolean;
  /** Not visible to CrossGuard; the offline synth and the tests pass it. */
  readonly retainOnDelete?: boolean;
}

/**
 * Why a resource of `type` named `name` would be replaced under a name the provider cannot reuse;
 * undefined when it cannot, or when that cannot be told yet (an unknown value in a preview).
 */
export function nameReuseProblem(type: string, name: string, propsIn: unknown, opts: ReplacementOptions): string | undefined {
  if (!type.startsWith("digitalocean:")) return undefined;
  const rule = REPLACEMENT_RULES[type];
  if (rule === undefined) {
    return `${type} ${quote(name)} is a DigitalOcean type replacement-name-reuse has not judged; add it to REPLACEMENT_RULES (policies/replacement.ts) with the inputs the provider forces replacement on`;
  }
  const unique = rule.uniqueName;
  if (unique === undefined || opts.protect === true) return undefined;
  const props: Props = plainProps(propsIn);
  const fixed = readString(props, unique.input);
  if (fixed === UNKNOWN || fixed === undefined) return undefined;
  const carried = carriedInputs(rule).filter((k) => props[k] !== undefined && props[k] !== null);
  if (carried.length === 0) return undefined;
  if (carried.some((k) => isUnknownValue(props[k]))) return undefined;
  if (opts.deleteBeforeReplace === true) {
    if (opts.retainOnDelete !== true) return undefined;
    return `${type} ${quote(name)} is delete-before-replace but retained on delete: the old one stays under ${quote(fixed)}, and the new one cannot take that name (${unique.evidence})`;
  }
  const values = Object.fromEntries(carried.map((k) => [k, props[k]]));
  if (fixed.endsWith(`-${replacementKey(values)}`)) return undefined;
  const parts = fixed.split("-");
  if (carried.every((k) => parts.includes(String(props[k])))) return undefined;
  return (
    `${type} ${quote(name)} combines create-before-replace, the fixed ${unique.input} ${quote(fixed)} and inputs that force a replacement ` +
    `(${carried.join(", ")}): a change of them creates the new one first, under the same ${unique.input}, which DigitalOcean refuses ` +
    `(${unique.evidence}). Let the ${unique.input} carry them (end it with -${replacementKey(values)}, their replacementKey) ` +
    "or set deleteBeforeReplace without retainOnDelete"
  );
}

export const replacementNameReuse: ResourceValidationPolicy = {
  name: "replacement-name-reuse",
  description:
    "No DigitalOcean resource is replaced create-first under a name the API keeps unique: a name that must stay fixed goes " +
    "with delete-before-replace, otherwise the name carries the inputs that force a replacement.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const problem = nameReuseProblem(args.type, args.name, args.props, { protect: args.opts.protect, deleteBeforeReplace: args.opts.deleteBeforeReplace });
    if (problem !== undefined) reportViolation(problem);
  },
};
