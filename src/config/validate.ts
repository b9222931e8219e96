import type { z } from "zod";
import { extraEnvProblems } from "../app/env-names";
import { connectionProblems } from "../database/connection-check";
import { mailerFromDomainProblem } from "../email/schema";
import { PLAIN_KEYS, plainConfigSchema, type PlainConfig } from "./schema";
import { SECRET_KEYS, requiredSecretKeys, type SecretContext } from "./secrets";

export const NAMESPACE = "docstown";

export type ValidationResult = { ok: true; config: PlainConfig } | { ok: false; errors: string[] };

const SECRET_LOOKING_NAME = /(KEY|TOKEN|SECRET|PASSWORD|DSN|DATABASE_URL)/;

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, part) => {
    if (typeof part === "number") return `${acc}[${part}]`;
    return acc === "" ? String(part) : `${acc}.${String(part)}`;
  }, "");
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  return `${typeof value} ${JSON.stringify(value)}`;
}

function issueLines(issue: z.core.$ZodIssue): string[] {
  const path = formatPath(issue.path);
  const key = (p: string) => `${NAMESPACE}:${p}`;
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((k) => `${key(path === "" ? k : `${path}.${k}`)}: unknown key`);
  }
  if (issue.code === "invalid_type") {
    if (issue.input === undefined) return [`${key(path)}: is required`];
    return [`${key(path)}: must be ${issue.expected === "array" ? "a list" : `a ${issue.expected}`}, got ${describeType(issue.input)}`];
  }
  return [`${key(path)}: ${issue.message}`];
}

function missingSecrets(context: SecretContext, present: ReadonlySet<string>): string[] {
  return requiredSecretKeys(context)
    .filter((key) => !present.has(key))
    .map((key) => `${NAMESPACE}:${key}: missing secret; set it with: pulumi config set --secret ${NAMESPACE}:${key} <value>`);
}

/** Pulumi hands structured values to the program as JSON text; scalars arrive as plain strings. */
function decode(raw: string): unknown {
  const trimmed = raw.trim();
  if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return raw;
  try {
    return JSON.parse(trimmed);
  } catch {
    return raw;
  }
}

/** The plain `docstown:` settings as structured values, and any key the program does not read. */
export function decodePlain(raw: Readonly<Record<string, string>>): { plain: Record<string, unknown>; unknown: string[] } {
  const plain: Record<string, unknown> = {};
  const unknown: string[] = [];
  const secretKeys = new Set<string>(SECRET_KEYS);
  const plainKeys = new Set<string>(PLAIN_KEYS);
  for (const [fullKey, value] of Object.entries(raw)) {
    const [ns, ...rest] = fullKey.split(":");
    const name = rest.join(":");
    if (ns !== NAMESPACE || secretKeys.has(name)) continue;
    if (plainKeys.has(name)) plain[name] = decode(value);
    else unknown.push(fullKey);
  }
  return { plain, unknown };
}

/**
 * Validates the raw `docstown:*` configuration (as Pulumi passes it: key → string) and the set of
 * secret keys that are present. Pure: it never sees a secret's value. Every problem is reported.
 */
export function validateConfig(raw: Readonly<Record<string, string>>, presentSecrets: ReadonlySet<string>): ValidationResult {
  const { plain, unknown } = decodePlain(raw);
  const errors = unknown.map((key) => `${key}: unknown key`);

  if (plain["target"] === undefined) {
    errors.push(`${NAMESPACE}:target: is required (digitalocean or local)`);
    return { ok: false, errors };
  }
  const parsed = plainConfigSchema.safeParse(plain, { reportInput: true });
  if (!parsed.success) {
    errors.push(...parsed.error.issues.flatMap(issueLines));
    errors.push(...missingSecrets(plain as SecretContext, presentSecrets));
    return { ok: false, errors };
  }
  const config = parsed.data;
  for (const name of Object.keys(config.app.extraEnv)) {
    if (SECRET_LOOKING_NAME.test(name)) {
      errors.push(`${NAMESPACE}:app.extraEnv.${name}: looks like a secret; secrets are set with pulumi config set --secret, never as plain values`);
    }
  }
  // --- app: variables the program sets, or that must never be set (src/app/env-names.ts) ---
  for (const { name, problem } of extraEnvProblems(config.app.extraEnv)) {
    if (!SECRET_LOOKING_NAME.test(name)) errors.push(`${NAMESPACE}:app.extraEnv.${name}: ${problem}`);
  }
  if (config.email !== undefined) {
    const problem = mailerFromDomainProblem(config.email, config.domain);
    if (problem !== undefined) errors.push(`${NAMESPACE}:email.mailerFrom: ${problem}`);
  }
  // --- database: the worst case of a deploy must fit the size's connection limit ---
  if (config.target === "digitalocean") {
    for (const { key, problem } of connectionProblems(config)) errors.push(`${NAMESPACE}:${key}: ${problem}`);
  }
  errors.push(...missingSecrets(config, presentSecrets));
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config };
}
