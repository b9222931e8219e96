import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../src/config/errors";
import { loadConfig, type DocsTownConfig } from "../src/config/load";
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
  return composeStack(config);
}
