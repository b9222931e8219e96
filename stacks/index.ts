import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../src/config/errors";
import { loadConfig, type DocsTownConfig } from "../src/config/load";
import { checkRestoreSnapshot, doApiFromEnv } from "../src/snapshots/do-api";
import { localStack } from "./local";
import { productionStack } from "./production";

/** Declares the stack the configuration describes and returns its outputs. */
export function composeStack(config: DocsTownConfig): Promise<Record<string, unknown>> | Record<string, unknown> {
  return config.target === "digitalocean" ? productionStack(config) : localStack(config);
}

/**
 * The program `pulumi up` runs: validate everything first, declare nothing on bad config, and
 * report every problem without a stack trace (RunError is printed as a plain message).
 */
export function runStack(): Promise<Record<string, unknown>> | Record<string, unknown> {
  let config: DocsTownConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      err.lines.forEach((line) => pulumi.log.error(line));
      throw new pulumi.RunError(err.message);
    }
    throw err;
  }
  const restoring = config.target === "digitalocean" ? config.volume.restoreFromSnapshot : undefined;
  if (restoring === undefined || config.target !== "digitalocean") return composeStack(config);
  // A snapshot that does not exist, is another volume's or is too big is refused before anything is declared.
  const production = config;
  return checkRestoreSnapshot(doApiFromEnv(process.env), production.volume, production.region).then((refusal) => {
    if (refusal === undefined) return composeStack(production);
    pulumi.log.error(refusal);
    throw new pulumi.RunError(refusal);
  });
}
