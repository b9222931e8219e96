// What both commands share: the checkout, the settings, the machine's environment, and how
// progress is reported (not at all in quiet mode; results and errors are always printed).
import * as fs from "node:fs";
import * as path from "node:path";
import { stateLayout, type StateLayout } from "./backend";
import { LocalError } from "./errors";
import { runCommand } from "./probes";
import { dockerProblem } from "./preflight";
import type { LocalSettings } from "./settings";
import { committedConfig, withSettings, type ConfigMap } from "./stack-config";

export interface Context {
  readonly repoRoot: string;
  readonly settings: LocalSettings;
  readonly env: NodeJS.ProcessEnv;
  readonly layout: StateLayout;
  /** A progress line (suppressed in quiet mode). */
  say(line: string): void;
}

export function makeContext(repoRoot: string, settings: LocalSettings, env: NodeJS.ProcessEnv): Context {
  return {
    repoRoot,
    settings,
    env,
    layout: stateLayout(settings.stateDir),
    say: (line) => {
      if (!settings.quiet) process.stdout.write(`local: ${line}\n`);
    },
  };
}

/** The committed Pulumi.local.yaml's plain config, read only. */
export function readCommitted(ctx: Context): ConfigMap {
  const file = path.join(ctx.repoRoot, "Pulumi.local.yaml");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new LocalError(`${file} is missing: run this from a DocsTown infra checkout`, 2);
  }
  return committedConfig(text);
}

/** The Docker daemon the stack uses (docstown:local.dockerHost) as the docker CLI's DOCKER_HOST. */
export function dockerEnv(ctx: Context, committed: ConfigMap): NodeJS.ProcessEnv {
  const local = withSettings(committed, ctx.settings.overrides)["docstown:local"];
  const host = local !== null && typeof local === "object" ? (local as Record<string, unknown>)["dockerHost"] : undefined;
  return typeof host === "string" && host !== "" ? { ...ctx.env, DOCKER_HOST: host } : ctx.env;
}

/** `docker info`: undefined when a daemon answers, else the line saying what to do. */
export function dockerCheck(env: NodeJS.ProcessEnv): string | undefined {
  return dockerProblem(runCommand("docker", ["info", "--format", "{{.ServerVersion}}"], env), env.DOCKER_HOST);
}
