import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { SECRET_KEYS, requiredSecretKeys, type SecretContext } from "../config/secrets";
import { NAMESPACE, decodePlain } from "../config/validate";

export class StackFileError extends Error {}

/** A stack file turned into what the Pulumi engine would hand the program. */
export interface StackConfig {
  /** Full keys to values; objects as JSON text. */
  config: Record<string, string>;
  /** Keys whose values are secrets. */
  secretKeys: string[];
  /** Secret keys filled with `placeholder:<key>`. */
  placeholders: string[];
}

function qualify(key: string): string {
  return key.includes(":") ? key : `${NAMESPACE}:${key}`;
}

function isEncrypted(value: unknown): boolean {
  return value !== null && typeof value === "object" && !Array.isArray(value) && "secure" in value && Object.keys(value).length === 1;
}

/**
 * Reads `Pulumi.<stack>.yaml`. Encrypted (`secure:`) values cannot be decrypted offline: with
 * `placeholderSecrets` they, and every required secret the file lacks, become `placeholder:<key>`;
 * without it an encrypted value is an error naming the key.
 */
export function readStackFile(path: string, placeholderSecrets: boolean): StackConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new StackFileError(`${path}: cannot read the stack config file`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new StackFileError(`${path}: not valid YAML (${(err as Error).message.split("\n")[0]})`);
  }
  const entries = (doc as { config?: unknown } | null)?.config ?? {};
  if (typeof entries !== "object" || entries === null || Array.isArray(entries)) {
    throw new StackFileError(`${path}: config must be a map of keys to values`);
  }
  const config: Record<string, string> = {};
  const encrypted: string[] = [];
  const secretNames = new Set<string>(SECRET_KEYS.map((k) => `${NAMESPACE}:${k}`));
  for (const [rawKey, value] of Object.entries(entries)) {
    const key = qualify(rawKey);
    if (isEncrypted(value)) {
      // Provider credentials (digitalocean:token, cloudflare:apiToken) are not needed offline.
      if (key.startsWith(`${NAMESPACE}:`)) encrypted.push(key);
      continue;
    }
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  const errors: string[] = [];
  if (!placeholderSecrets) {
    for (const key of encrypted) {
      errors.push(`${key}: is encrypted (secure:) and cannot be read offline; run with --placeholder-secrets`);
    }
    if (errors.length > 0) throw new StackFileError(errors.join("\n"));
  }
  const placeholders: string[] = [];
  if (placeholderSecrets) {
    const present = new Set(SECRET_KEYS.filter((k) => `${NAMESPACE}:${k}` in config));
    // Read from the raw values, so an otherwise invalid config still gets its secrets filled and
    // the program's own validation reports only the real problems.
    const required = requiredSecretKeys(decodePlain(config).plain as SecretContext).map((k) => `${NAMESPACE}:${k}`);
    for (const key of new Set([...encrypted, ...required])) {
      if (present.has(key.slice(NAMESPACE.length + 1) as (typeof SECRET_KEYS)[number])) continue;
      config[key] = `placeholder:${key.slice(NAMESPACE.length + 1)}`;
      placeholders.push(key);
    }
  }
  const secretKeys = Object.keys(config).filter((k) => secretNames.has(k));
  return { config, secretKeys, placeholders: placeholders.sort() };
}
