// Which Pulumi CLI local:up runs, and building it when there is none: the local stack needs the
// Node.js language host and the docker provider plugin, with plugin downloads turned off.
import * as path from "node:path";
import { locateEngineWithPlugins, type EngineWithPlugins } from "../locate";
import { LocalError } from "./errors";
import { step } from "./run";

export const PLUGINS = ["pulumi-language-nodejs", "pulumi-resource-docker"] as const;

export function locate(repoRoot: string, envPath: string | undefined): EngineWithPlugins {
  return locateEngineWithPlugins(PLUGINS, repoRoot, envPath);
}

/** The progress line for the engine local:up settled on. */
export function engineLine(engine: EngineWithPlugins & { found: true }): string {
  return engine.source === "path"
    ? `using the pulumi CLI on PATH (${engine.binDir}) and its plugins`
    : `using the engine built by npm run engine (${engine.binDir})`;
}

/**
 * `npm run engine` (engine/build.ts, run with this node and tsx so npm need not be on PATH),
 * then the same lookup again: a build that did not produce every plugin is an error, not a
 * download.
 */
export async function buildEngine(repoRoot: string, envPath: string | undefined, env: NodeJS.ProcessEnv, logFile?: string): Promise<EngineWithPlugins & { found: true }> {
  await step("npm run engine", process.execPath, ["--import", "tsx", path.join(repoRoot, "engine", "build.ts")], {
    cwd: repoRoot,
    env,
    ...(logFile !== undefined ? { logFile } : {}),
  });
  const engine = locate(repoRoot, envPath);
  if (!engine.found) {
    throw new LocalError(`npm run engine finished without ${engine.missing.join(", ")} in ${engine.binDir} (see README, Engine build)`);
  }
  return engine;
}

/** The located engine, or the one `npm run engine` builds now (saying so: it can take long). */
export async function readyEngine(
  located: EngineWithPlugins,
  repoRoot: string,
  env: NodeJS.ProcessEnv,
  say: (line: string) => void,
  logFile?: string,
): Promise<EngineWithPlugins & { found: true }> {
  let engine: EngineWithPlugins & { found: true };
  if (located.found) engine = located;
  else {
    say("building the Pulumi engine with npm run engine: cached afterwards, but a cold build takes long (37 min measured on 2 busy cores)");
    engine = await buildEngine(repoRoot, env.PATH, env, logFile);
  }
  say(engineLine(engine));
  return engine;
}
