import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "./errors";
import type { LocalSettings, ProductionSettings } from "./schema";
import { SECRET_KEYS, secretStorageProblems, type SecretKey } from "./secrets";
import { NAMESPACE, validateConfig } from "./validate";

/** Secrets as Pulumi secret Outputs; only keys that are set are present. */
export type Secrets = Readonly<Partial<Record<SecretKey, pulumi.Output<string>>>>;

interface StackIdentity {
  readonly project: string;
  readonly stack: string;
  readonly secrets: Secrets;
}

export type ProductionConfig = ProductionSettings & StackIdentity;
export type LocalConfig = LocalSettings & StackIdentity;
export type DocsTownConfig = ProductionConfig | LocalConfig;

/**
 * Whether the engine passed `key` as a secret (its value is `secure:` in the stack file). The SDK
 * keeps this list (PULUMI_CONFIG_SECRET_KEYS, set by the language host and by `setAllConfig`
 * under mocks) and answers through `runtime.isConfigSecret`, which its typings mark internal.
 */
export function isConfigSecret(key: string): boolean {
  const probe = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
  if (typeof probe !== "function") throw new Error("@pulumi/pulumi no longer exports runtime.isConfigSecret; cannot tell encrypted config from plain");
  return probe(key);
}

/**
 * Reads and validates the whole stack configuration once, before any resource is declared.
 * Secrets are read with `getSecret` only, so they stay wrapped as Pulumi secrets; validation
 * looks at whether they are set, never at their values. A secret stored in plain text, or a
 * provider credential in the stack config, is refused along with every other problem.
 *
 * @throws ConfigError listing every problem, one `docstown:<path>: <problem>` line each.
 */
export function loadConfig(): DocsTownConfig {
  const config = new pulumi.Config(NAMESPACE);
  const secrets: Partial<Record<SecretKey, pulumi.Output<string>>> = {};
  for (const key of SECRET_KEYS) {
    const value = config.getSecret(key);
    if (value !== undefined) secrets[key] = value;
  }
  const raw = pulumi.runtime.allConfig();
  const stored = secretStorageProblems(Object.keys(raw).map((key) => ({ key, secret: isConfigSecret(key) })));
  const result = validateConfig(raw, new Set(Object.keys(secrets)));
  if (stored.length > 0 || !result.ok) throw new ConfigError([...stored, ...(result.ok ? [] : result.errors)]);
  return { ...result.config, project: pulumi.getProject(), stack: pulumi.getStack(), secrets };
}

/** A secret validation guaranteed to be present; a missing one here is a programming error. */
export function mustHaveSecret(secrets: Secrets, key: SecretKey): pulumi.Output<string> {
  const value = secrets[key];
  if (value === undefined) throw new Error(`secret ${NAMESPACE}:${key} was validated as present but is missing`);
  return value;
}
