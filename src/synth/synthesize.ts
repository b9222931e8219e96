import { resolve } from "node:path";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { loadConfig, type DocsTownConfig } from "../config/load";
import { composeStack } from "../../stacks";
import { record, type SynthResult } from "./recorder";
import { readStackFile, secretKeysOf } from "./stack-file";

export interface SynthOptions {
  stack: string;
  /** Stack config file; default `Pulumi.<stack>.yaml` beside Pulumi.yaml. */
  configFile?: string;
  placeholderSecrets?: boolean;
  /** Project directory (where Pulumi.yaml is). */
  cwd?: string;
  /** Extra or replaced config values, full keys (`docstown:app`), for tests. */
  overrides?: Record<string, string>;
}

export function projectName(cwd: string): string {
  const doc = parse(readFileSync(resolve(cwd, "Pulumi.yaml"), "utf8")) as { name?: string };
  return doc.name ?? "docstown";
}

/**
 * Renders the stack offline: reads its config file, runs the real program under the mock
 * runtime, and returns every registration. Throws ConfigError or StackFileError on bad input,
 * before any resource is declared.
 */
export interface SynthRender extends SynthResult {
  /** The validated configuration the program ran with. */
  config: DocsTownConfig;
  /** Secret keys filled with `placeholder:<key>` (--placeholder-secrets). */
  placeholders: string[];
}

export async function synthesize(options: SynthOptions): Promise<SynthRender> {
  const cwd = options.cwd ?? process.cwd();
  const file = resolve(cwd, options.configFile ?? `Pulumi.${options.stack}.yaml`);
  const stackConfig = readStackFile(file, options.placeholderSecrets ?? false);
  const config = { ...stackConfig.config, ...(options.overrides ?? {}) };
  let loaded: DocsTownConfig | undefined;
  const result = await record(() => composeStack((loaded = loadConfig())), {
    project: projectName(cwd),
    stack: options.stack,
    config,
    // Overrides stand for values set with --secret: a secret key among them is marked secret.
    secretKeys: secretKeysOf(Object.keys(config)),
  });
  if (loaded === undefined) throw new Error("synth: the program returned without reading its configuration");
  return { ...result, config: loaded, placeholders: stackConfig.placeholders };
}
