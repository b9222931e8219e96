import { resolve } from "node:path";
import type { RecordedResource, SynthResult } from "../src/synth/recorder";
import { record } from "../src/synth/recorder";
import { synthesize } from "../src/synth/synthesize";

export const PROJECT_DIR = resolve(__dirname, "..");

/**
 * Renders a stack from its committed config file with placeholder secrets, optionally with some
 * `docstown:` keys replaced (`{ "docstown:volume": JSON.stringify({ sizeGb: 100 }) }`).
 */
export function synthStack(stack: "production" | "local", overrides: Record<string, string> = {}): Promise<SynthResult> {
  return synthesize({ stack, placeholderSecrets: true, cwd: PROJECT_DIR, overrides });
}

/** Runs a single component (or any program) under the mocks with the given config. */
export function recordProgram(program: () => unknown, config: Record<string, string> = {}, secretKeys: string[] = []): Promise<SynthResult> {
  return record(program, { project: "docstown", stack: "test", config, secretKeys });
}

export function byType(result: SynthResult, type: string): RecordedResource[] {
  return result.resources.filter((r) => r.type === type);
}

export function one(result: SynthResult, type: string, nameIncludes = ""): RecordedResource {
  const found = byType(result, type).filter((r) => r.name.includes(nameIncludes));
  if (found.length !== 1) throw new Error(`expected one ${type} named *${nameIncludes}*, found ${found.map((r) => r.name).join(", ") || "none"}`);
  return found[0] as RecordedResource;
}

/** Reads a value at a recorded secret-path-style path (`envs[3]`, `connection.password`). */
export function isSecretPath(resource: RecordedResource, path: string): boolean {
  return resource.secretPaths.some((p) => p === path || path.startsWith(`${p}.`) || path.startsWith(`${p}[`) || p === "$");
}

/** The container env as NAME → value, and which names hold secrets. */
export function containerEnv(container: RecordedResource): { env: Record<string, string>; secretNames: Set<string> } {
  const envs = (container.inputs["envs"] as string[] | undefined) ?? [];
  const env: Record<string, string> = {};
  const secretNames = new Set<string>();
  envs.forEach((entry, i) => {
    const at = entry.indexOf("=");
    const name = entry.slice(0, at);
    env[name] = entry.slice(at + 1);
    if (isSecretPath(container, `envs[${i}]`)) secretNames.add(name);
  });
  return { env, secretNames };
}
