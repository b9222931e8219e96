import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "./errors";
import type { LocalSettings, ProductionSettings } from "./schema";
import { SECRET_KEYS, type SecretKey } from "./secrets";
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
 * Reads and validates the whole stack configuration once, before any resource is declared.
 * Secrets are read with `getSecret` only, so they stay wrapped as Pulumi secrets; validation
 * looks at whether they are set, never at their values.
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
  const result = validateConfig(pulumi.runtime.allConfig(), new Set(Object.keys(secrets)));
  if (!result.ok) throw new ConfigError(result.errors);
  return { ...result.config, project: pulumi.getProject(), stack: pulumi.getStack(), secrets };
}

/** A secret validation guaranteed to be present; a missing one here is a programming error. */
export function mustHaveSecret(secrets: Secrets, key: SecretKey): pulumi.Output<string> {
  const value = secrets[key];
  if (value === undefined) throw new Error(`secret ${NAMESPACE}:${key} was validated as present but is missing`);
  return value;
}
