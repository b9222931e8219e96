import type { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES, UNKNOWN, isUnknownValue, nameFromUrn, plainProps, quote, readArray, validateResourceOfType } from "./values";

/**
 * Secrets reach containers only as Pulumi secrets (encrypted in the state), never as plain text.
 *
 * What CrossGuard can see: nothing of secrecy. node_modules/@pulumi/policy/server.js deserializes
 * the properties for `validateResource` (makeAnalyzeRpcFun) and `validateStack`
 * (makeAnalyzeStackRpcFun) with `deserializeProperties(props, false)`; deserialize.js, case
 * `specialSecretSig`, then returns the secret's plain value and only wraps it in a `Secret` when
 * `proxySecrets` is true, which happens for `remediateResource` alone (makeRemediateRpcFun). A
 * validation policy therefore receives `RAILS_MASTER_KEY=...` exactly like `RAILS_ENV=production`.
 *
 * So the check is split:
 * - `findPlainSecretEnv` is a pure function for the offline synth (policies/run/), which knows
 *   from the recorded inputs which paths were secret (`envs`, `envs[3]`, or `$` for everything);
 * - the pack's own `container-secret-env-names` (advisory) can only catch the obvious: a secret
 *   looking variable holding a placeholder or a value too short to be a real credential. A real
 *   credential passed as plain text passes it; only the synth check (or a review) catches that.
 */

const SECRET_WORDS = ["KEY", "TOKEN", "SECRET", "PASSWORD", "DSN"] as const;

/** Does an environment variable name look like it holds a secret? */
export function looksSecret(name: string): boolean {
  const upper = name.trim().toUpperCase();
  return SECRET_WORDS.some((w) => upper.includes(w)) || upper.endsWith("DATABASE_URL");
}

interface EnvEntry {
  index: number;
  name: string;
  value: string;
}

function envEntries(props: unknown): EnvEntry[] | typeof UNKNOWN {
  const envs = readArray(props, "envs");
  if (envs === UNKNOWN) return UNKNOWN;
  const entries: EnvEntry[] = [];
  (envs ?? []).forEach((entry, index) => {
    if (typeof entry !== "string" || isUnknownValue(entry)) return;
    const at = entry.indexOf("=");
    if (at <= 0) return;
    entries.push({ index, name: entry.slice(0, at), value: entry.slice(at + 1) });
  });
  return entries;
}

/** Is `envs[index]` covered by one of the recorded secret paths? */
function isSecretPath(secretPaths: readonly string[], index: number): boolean {
  return secretPaths.some((p) => p === "$" || p === "envs" || p === `envs[${index}]` || p === `envs.${index}`);
}

/**
 * Messages for every secret-looking container env var (`envs` entry `NAME=value`, value not empty)
 * that is not a Pulumi secret according to `secretPaths` (paths into `props`: `envs` when the whole
 * array is secret, `envs[3]` for one element, `$` when all inputs are). Values are never echoed.
 */
export function findPlainSecretEnv(resource: {
  urn: string;
  type: string;
  props: Record<string, unknown>;
  secretPaths: string[];
}): string[] {
  if (resource.type !== TYPES.container) return [];
  const entries = envEntries(plainProps(resource.props));
  if (entries === UNKNOWN) return [];
  const name = nameFromUrn(resource.urn);
  return entries
    .filter((e) => looksSecret(e.name) && e.value !== "" && !isSecretPath(resource.secretPaths, e.index))
    .map(
      (e) =>
        `container ${quote(name)} env ${e.name} (envs[${e.index}]) is not a Pulumi secret; ` +
        "read it with config.requireSecret so it is encrypted in the state",
    );
}

/** Values nobody would use for a real credential. */
const PLACEHOLDERS = new Set([
  "admin", "changeme", "change-me", "change_me", "default", "demo", "dev", "development", "dummy", "example",
  "fixme", "foo", "insecure", "none", "null", "pass", "passw0rd", "password", "placeholder", "postgres",
  "replaceme", "replace-me", "root", "sample", "secret", "test", "testing", "todo", "undefined", "xxx",
]);
const MIN_SECRET_LENGTH = 8;

/** A value that is obviously not a real credential: a placeholder, a template, or too short. */
export function isObviousPlaceholder(name: string, value: string): boolean {
  const v = value.trim();
  if (v.length < MIN_SECRET_LENGTH) return true;
  const lower = v.toLowerCase();
  if (PLACEHOLDERS.has(lower) || lower === name.toLowerCase() || /^(x+|\*+|0+|1234\d*)$/.test(lower)) return true;
  if (/^(<.*>|\$\{.*\}|\{\{.*\}\}|\$[A-Z_][A-Z0-9_]*)$/i.test(v)) return true;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return false;
  try {
    // A URL credential (DATABASE_URL, DSN) with a placeholder password.
    const password = decodeURIComponent(new URL(v).password).toLowerCase();
    return password !== "" && (PLACEHOLDERS.has(password) || password.length < MIN_SECRET_LENGTH);
  } catch {
    return false;
  }
}

export const containerSecretEnvNames: ResourceValidationPolicy = {
  name: "container-secret-env-names",
  description:
    "Secret-looking container env vars (KEY, TOKEN, SECRET, PASSWORD, DSN, *DATABASE_URL) do not hold placeholder or " +
    "too-short literals. CrossGuard unwraps secrets, so it cannot tell a Pulumi secret from plain text; the offline " +
    "synth checks secrecy itself.",
  enforcementLevel: "advisory",
  validateResource: validateResourceOfType(TYPES.container, (props, args, report) => {
    const entries = envEntries(props);
    if (entries === UNKNOWN) return;
    for (const e of entries) {
      if (!looksSecret(e.name) || e.value === "" || !isObviousPlaceholder(e.name, e.value)) continue;
      report(
        `container ${quote(args.name)} env ${e.name} (envs[${e.index}]) holds a placeholder or too-short literal; ` +
          "read the real value with config.requireSecret",
      );
    }
  }),
};

/** The name the offline runner reports `findPlainSecretEnv` messages under. */
export const PLAIN_SECRET_ENV_CHECK = "container-secret-env-values";
