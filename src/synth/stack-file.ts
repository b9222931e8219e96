import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { SECRET_KEYS, requiredSecretKeys, secretStorageProblems, type SecretContext } from "../config/secrets";
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

/** The `docstown:` secret keys among `keys`: what the engine would mark secret. */
export function secretKeysOf(keys: Iterable<string>): string[] {
  const secretNames = new Set<string>(SECRET_KEYS.map((k) => `${NAMESPACE}:${k}`));
  return [...keys].filter((k) => secretNames.has(k));
}

/**
 * Reads `Pulumi.<stack>.yaml`. A secret written in plain text, or a provider credential in the
 * file, is an error naming the key (the program refuses them too). Encrypted (`secure:`) values
 * cannot be decrypted offline: with `placeholderSecrets` they, and every required secret the file
 * lacks, become `placeholder:<key>`; without it an encrypted value is an error naming the key.
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
  const errors = secretStorageProblems(Object.entries(entries).map(([key, value]) => ({ key: qualify(key), secret: isEncrypted(value) })));
  for (const [rawKey, value] of Object.entries(entries)) {
    const key = qualify(rawKey);
    if (isEncrypted(value)) {
      // Other encrypted keys outside docstown: are not read by the program.
      if (key.startsWith(`${NAMESPACE}:`)) encrypted.push(key);
      continue;
    }
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  if (!placeholderSecrets) {
    for (const key of encrypted) {
      errors.push(`${key}: is encrypted (secure:) and cannot be read offline; run with --placeholder-secrets`);
    }
  }
  if (errors.length > 0) throw new StackFileError(errors.join("\n"));
  const placeholders: string[] = [];
  if (placeholderSecrets) {
    // Read from the raw values, so an otherwise invalid config still gets its secrets filled and
    // the program's own validation reports only the real problems.
    const required = requiredSecretKeys(decodePlain(config).plain as SecretContext).map((k) => `${NAMESPACE}:${k}`);
    // A secret in plain text was refused above: every docstown: secret here is encrypted or absent.
    for (const key of new Set([...encrypted, ...required])) {
      config[key] = `placeholder:${key.slice(NAMESPACE.length + 1)}`;
      placeholders.push(key);
    }
  }
  return { config, secretKeys: secretKeysOf(Object.keys(config)), placeholders: placeholders.sort() };
}
