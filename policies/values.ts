import type {
  PolicyResource,
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
} from "@pulumi/policy";

/**
 * Shared vocabulary of the pack: resource type tokens, the container role label, and readers
 * that turn CrossGuard's resource properties into plain, typed values without tripping over
 * values that are unknown during a preview.
 *
 * How CrossGuard hands properties to a policy (node_modules/@pulumi/policy):
 * - server.js (makeAnalyzeRpcFun, makeAnalyzeStackRpcFun) deserializes the engine's properties with
 *   `deserializeProperties(props, false)` and wraps the result in `unknownCheckingProxy`.
 * - proxy.js: an unknown value (an output not yet known in a preview) arrives as one of seven
 *   sentinel strings (`unknownStringValue` ... `unknownObjectValue`); reading it through the proxy
 *   throws `UnknownValueError`, and server.js turns that into ONE advisory "can't run policy ...
 *   during preview" for the whole policy, so every other check of that policy is lost too.
 * - deserialize.js: properties whose value is undefined are dropped ("We treat properties with
 *   undefined values as if they do not exist"), so an absent property means "not set".
 *
 * The readers below therefore step behind the proxy (its `__getSpecialProxyTarget` key, proxy.js)
 * and recognise the sentinels themselves: an unknown value becomes `UNKNOWN`, and each policy
 * skips only the check that needed it. An absent value is `undefined` and is judged as "not set".
 */

export const TYPES = {
  droplet: "digitalocean:index/droplet:Droplet",
  volume: "digitalocean:index/volume:Volume",
  volumeAttachment: "digitalocean:index/volumeAttachment:VolumeAttachment",
  firewall: "digitalocean:index/firewall:Firewall",
  databaseCluster: "digitalocean:index/databaseCluster:DatabaseCluster",
  databaseFirewall: "digitalocean:index/databaseFirewall:DatabaseFirewall",
  container: "docker:index/container:Container",
  dockerVolume: "docker:index/volume:Volume",
  dnsRecord: "cloudflare:index/dnsRecord:DnsRecord",
  zoneSetting: "cloudflare:index/zoneSetting:ZoneSetting",
} as const;

/** The label every DocsTown container carries, and its allowed values. */
export const ROLE_LABEL = "docstown.role";
export const ROLES = ["web", "worker", "migrate", "proxy", "postgres"] as const;
export type Role = (typeof ROLES)[number];

/**
 * The label that names a one-shot step of a role, and the steps allowed to run as root: each
 * hands a fresh, root-owned Docker volume to the unprivileged user of the role that writes it
 * (the repository clone to the app, Caddy's data directory to the proxy).
 */
export const STEP_LABEL = "docstown.step";
export const REPOS_OWNER_STEP = "repos-owner";
export const PROXY_DATA_OWNER_STEP = "proxy-data-owner";
export const OWNER_STEPS = [REPOS_OWNER_STEP, PROXY_DATA_OWNER_STEP] as const;
export type OwnerStep = (typeof OWNER_STEPS)[number];

/**
 * The one step that may bind a path under /home: it writes the deploy user's authorized_keys from
 * docstown:operators.sshPublicKeys (src/server/authorized-keys.ts), as that user, into that
 * user's .ssh directory and nowhere else (policies/container-host-paths.ts).
 */
export const AUTHORIZED_KEYS_STEP = "authorized-keys";
export const DEPLOY_SSH_DIR = "/home/deploy/.ssh";
/** The deploy user's uid:gid on the droplet (the user-data makes it the first user, docker a system group). */
export const DEPLOY_UID_GID = "1000:1000";

/** The unknown-value sentinels of node_modules/@pulumi/policy/proxy.js (the engine's wire values). */
const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // string
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
  "030794c1-ac77-496b-92df-f27374a8bd58", // asset
  "e48ece36-62e2-4504-bad9-02848725956a", // archive
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
]);

/** A value that exists but cannot be known yet (preview). */
export const UNKNOWN: unique symbol = Symbol("unknown");
export type Unknown = typeof UNKNOWN;

/** Reads return the value, `UNKNOWN`, or `undefined` when the property is not set. */
export type Read<T> = T | Unknown | undefined;

export type Props = Record<string, unknown>;

const PROXY_TARGET_KEY = "__getSpecialProxyTarget";

export function isRecord(value: unknown): value is Props {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isUnknownValue(value: unknown): boolean {
  return value === UNKNOWN || (typeof value === "string" && UNKNOWN_SENTINELS.has(value));
}

/** The plain properties behind CrossGuard's unknown-checking proxy (a plain object stays as it is). */
export function plainProps(props: unknown): Props {
  if (!isRecord(props)) return {};
  const target = props[PROXY_TARGET_KEY];
  return isRecord(target) ? target : props;
}

function raw(obj: unknown, key: string | number): unknown {
  if (isUnknownValue(obj)) return UNKNOWN;
  if (typeof key === "number") return Array.isArray(obj) ? obj[key] : undefined;
  if (!isRecord(obj)) return undefined;
  const value = obj[key];
  return isUnknownValue(value) ? UNKNOWN : value;
}

export function readString(obj: unknown, key: string): Read<string> {
  const value = raw(obj, key);
  if (value === UNKNOWN) return UNKNOWN;
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return undefined;
}

export function readBoolean(obj: unknown, key: string): Read<boolean> {
  const value = raw(obj, key);
  if (value === UNKNOWN) return UNKNOWN;
  if (typeof value === "boolean") return value;
  if (value === "true") return true;
  if (value === "false") return false;
  return undefined;
}

export function readNumber(obj: unknown, key: string): Read<number> {
  const value = raw(obj, key);
  if (value === UNKNOWN) return UNKNOWN;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/** An array property; its elements may themselves be unknown (check them with `isUnknownValue`). */
export function readArray(obj: unknown, key: string): Read<readonly unknown[]> {
  const value = raw(obj, key);
  if (value === UNKNOWN) return UNKNOWN;
  return Array.isArray(value) ? value : undefined;
}

export function readRecord(obj: unknown, key: string): Read<Props> {
  const value = raw(obj, key);
  if (value === UNKNOWN) return UNKNOWN;
  return isRecord(value) ? value : undefined;
}

/** Known string elements of an array property; `UNKNOWN` when the array or any element is unknown. */
export function readStrings(obj: unknown, key: string): Read<string[]> {
  const list = readArray(obj, key);
  if (list === UNKNOWN || list === undefined) return list;
  if (list.some(isUnknownValue)) return UNKNOWN;
  return list.filter((v): v is string | number => typeof v === "string" || typeof v === "number").map(String);
}

/** The `docstown.role` label value of a container (`labels: [{ label, value }]`). */
export function readRole(containerProps: unknown): Read<string> {
  const labels = readArray(containerProps, "labels");
  if (labels === UNKNOWN) return UNKNOWN;
  if (labels === undefined) return undefined;
  let sawUnknown = false;
  for (const entry of labels) {
    const label = readString(entry, "label");
    if (label === UNKNOWN) {
      sawUnknown = true;
      continue;
    }
    if (label === ROLE_LABEL) return readString(entry, "value");
  }
  return sawUnknown ? UNKNOWN : undefined;
}

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** The last segment of a URN (`urn:pulumi:stack::project::type::name` -> `name`). */
export function nameFromUrn(urn: string): string {
  const at = urn.lastIndexOf("::");
  return at < 0 ? urn : urn.slice(at + 2);
}

export function quote(value: string): string {
  return JSON.stringify(value);
}

/** Normalises a path for comparison: no trailing slash except for "/". */
export function normalizePath(path: string): string {
  const trimmed = path.trim().replace(/\/+$/, "");
  return trimmed === "" ? "/" : trimmed;
}

/**
 * Does resource `from` reference resource `to` through its property `prop` (an id, or a list of
 * ids)? `true`/`false` when that can be told, `UNKNOWN` when it cannot (ids unknown in a preview
 * and no property dependencies recorded, yet `from` depends on `to`).
 */
export function references(from: PolicyResource, prop: string, to: PolicyResource): boolean | Unknown {
  const propertyDeps = from.propertyDependencies[prop];
  if (propertyDeps?.some((d) => d.urn === to.urn)) return true;
  const value = raw(plainProps(from.props), prop);
  const id = raw(plainProps(to.props), "id");
  const ids = Array.isArray(value) ? value : [value];
  const known = (v: unknown) => v !== undefined && v !== null && v !== UNKNOWN && !isUnknownValue(v);
  if (known(id) && ids.length > 0 && ids.every(known)) return ids.some((v) => String(v) === String(id));
  if (propertyDeps !== undefined) return false;
  return from.dependencies.some((d) => d.urn === to.urn) ? UNKNOWN : false;
}

export type TypedValidation = (
  props: Props,
  args: ResourceValidationArgs,
  reportViolation: ReportViolation,
) => Promise<void> | void;

/**
 * Like the SDK's `validateResourceOfType`, but keyed by the type token, so the standalone pack
 * needs no provider SDK: other types are `notApplicable` with the SDK's own reason, and the token
 * is attached as `__pulumiType` so server.js can skip other types without calling the policy.
 */
export function validateResourceOfType(type: string, validate: TypedValidation): ResourceValidation {
  const validation: ResourceValidation = (args, reportViolation) => {
    if (args.type !== type) {
      return args.notApplicable(`Policy only applies to resources of type '${type}'`);
    }
    return validate(plainProps(args.props), args, reportViolation);
  };
  return Object.assign(validation, { __pulumiType: type });
}

export function resourcesOfType(resources: readonly PolicyResource[], type: string): PolicyResource[] {
  return resources.filter((r) => r.type === type);
}
