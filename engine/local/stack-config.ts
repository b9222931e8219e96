// The stack config file `local:up` hands the CLI with --config-file: a copy of the committed
// Pulumi.local.yaml plus the demo-image settings, the overrides, the passphrase's salt and the
// generated secrets. The committed file is only ever read: a passphrase stack would otherwise
// write its `encryptionsalt` and `secure:` values into it, and they would differ per machine.
import { randomBytes } from "node:crypto";
import { parse, stringify } from "yaml";
import type { LocalSettings as LocalSchemaSettings } from "../../src/config/schema";
import { requiredSecretKeys, type SecretKey } from "../../src/config/secrets";
import { NAMESPACE, validateConfig } from "../../src/config/validate";
import { LocalError } from "./errors";
import type { ConfigValue } from "./settings";

/** A stack file's `config:` map: `docstown:<key>` to a scalar, a map or `{ secure: ... }`. */
export type ConfigMap = Record<string, unknown>;

/**
 * Secrets local:up makes up once, at random, and keeps (encrypted) in the generated file. The
 * master key only has to exist for the demo app; PostgreSQL gets its own password rather than
 * the program's fixed default.
 */
export const GENERATED_SECRETS: Readonly<Partial<Record<SecretKey, () => string>>> = {
  railsMasterKey: () => randomBytes(16).toString("hex"),
  localPostgresPassword: () => randomBytes(24).toString("base64url"),
};

const GENERATED_KEYS = Object.keys(GENERATED_SECRETS) as SecretKey[];

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function isSecure(value: unknown): boolean {
  return isRecord(value) && typeof value["secure"] === "string";
}

function parseStackFile(text: string, what: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new LocalError(`${what} is not valid YAML: ${(err as Error).message.split("\n")[0]}`, 2);
  }
  if (doc === null || doc === undefined) return {};
  if (!isRecord(doc)) throw new LocalError(`${what} must be a YAML map with a config: section`, 2);
  return doc;
}

/**
 * The committed file's plain `config:` map. Any `secure:` value is dropped: it was encrypted
 * with some other stack's passphrase and could not be read with ours.
 */
export function committedConfig(text: string): ConfigMap {
  const config = parseStackFile(text, "Pulumi.local.yaml")["config"] ?? {};
  if (!isRecord(config)) throw new LocalError("Pulumi.local.yaml: config: must be a map", 2);
  return Object.fromEntries(Object.entries(config).filter(([, value]) => !isSecure(value)));
}

/** `config` with each `path` (`local.httpsPort`, `domain`) set under the docstown namespace. */
export function withSettings(config: ConfigMap, settings: Readonly<Record<string, ConfigValue>>): ConfigMap {
  const out: ConfigMap = structuredClone(config);
  for (const [path, value] of Object.entries(settings)) {
    const [head, ...rest] = path.split(".");
    const key = `${NAMESPACE}:${head}`;
    if (rest.length === 0) {
      out[key] = value;
      continue;
    }
    if (!isRecord(out[key])) out[key] = {};
    let node = out[key] as Record<string, unknown>;
    for (const segment of rest.slice(0, -1)) {
      if (!isRecord(node[segment])) node[segment] = {};
      node = node[segment] as Record<string, unknown>;
    }
    node[rest[rest.length - 1] as string] = value;
  }
  return out;
}

/**
 * The settings the program will see, validated by the program's own rules (defaults applied),
 * with the generated secrets counted as present. One `docstown:<path>: <problem>` line each.
 */
export function validatedLocalConfig(config: ConfigMap): LocalSchemaSettings {
  // As the engine hands config to the program: scalars as text, maps as JSON.
  const raw = Object.fromEntries(
    Object.entries(config).map(([key, value]) => [key, typeof value === "object" ? JSON.stringify(value) : String(value)]),
  );
  const result = validateConfig(raw, new Set(GENERATED_KEYS));
  if (!result.ok) throw new LocalError(result.errors.join("\n"), 2);
  if (result.config.target !== "local") throw new LocalError(`${NAMESPACE}:target: must be local for local:up`, 2);
  const beyond = requiredSecretKeys(result.config).filter((key) => !GENERATED_KEYS.includes(key));
  if (beyond.length > 0) {
    throw new LocalError(`${beyond.map((k) => `${NAMESPACE}:${k}`).join(", ")}: required with these settings and not something local:up can make up; use pulumi up --stack local directly`, 2);
  }
  return result.config;
}

export interface GeneratedStackFile {
  /** The file to write (YAML). */
  readonly text: string;
  /** Generated secrets it does not hold yet: set each with `pulumi config set --secret`. */
  readonly missingSecrets: readonly SecretKey[];
}

/**
 * The generated stack file: `config` plus the salt of the stack's passphrase, and every
 * `secure:` value of the previous generated file, but only when it was encrypted under this
 * same salt (a recreated stack has a new one, so its secrets are generated again).
 */
export function generatedStackFile(config: ConfigMap, salt: string, previousText: string | undefined): GeneratedStackFile {
  const previous = previousText === undefined ? {} : parseStackFile(previousText, "the generated stack file");
  const kept: ConfigMap = {};
  if (previous["encryptionsalt"] === salt && isRecord(previous["config"])) {
    for (const [key, value] of Object.entries(previous["config"])) {
      if (key.startsWith(`${NAMESPACE}:`) && isSecure(value)) kept[key] = value;
    }
  }
  const missingSecrets = GENERATED_KEYS.filter((key) => !(`${NAMESPACE}:${key}` in kept));
  const header = "# Generated by npm run local:up from Pulumi.local.yaml on every run; edit that file, not this one.\n";
  return { text: header + stringify({ encryptionsalt: salt, config: { ...config, ...kept } }), missingSecrets };
}
