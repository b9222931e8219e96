import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "../src/config/load";
import { createMocks } from "../src/synth/mocks";
import type { RecordedResource, SynthResult } from "../src/synth/recorder";
import { record } from "../src/synth/recorder";
import { readStackFile } from "../src/synth/stack-file";
import { synthesize } from "../src/synth/synthesize";
import { composeStack } from "../stacks";

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

type MockAnswer = { id: string | undefined; state: Record<string, unknown> };

/** How a test bends the mocks for one run: its own answer to a resource or an invoke, else the shared mocks'. */
export interface MockOverrides {
  readonly newResource?: (args: pulumi.runtime.MockResourceArgs, answer: MockAnswer) => MockAnswer;
  readonly call?: (args: pulumi.runtime.MockCallArgs) => Record<string, unknown> | undefined;
}

/**
 * Runs the production program from its committed stack file (placeholder secrets, `overrides`
 * over its keys) under the mocks, as a preview (`dryRun`) or an update, and fails the test if the
 * program throws. For tests that watch the calls a run makes rather than the recorded graph.
 */
export async function runProductionUnderMocks(dryRun: boolean, bend: MockOverrides = {}, overrides: Record<string, string> = {}): Promise<void> {
  const { config, secretKeys } = readStackFile(resolve(PROJECT_DIR, "Pulumi.production.yaml"), true);
  pulumi.runtime.setAllConfig({ ...config, ...overrides }, secretKeys);
  const mocks = createMocks();
  let failure: unknown;
  await pulumi.runtime.setMocks({
    async newResource(args) {
      const answer = (await mocks.newResource(args)) as MockAnswer;
      return bend.newResource ? bend.newResource(args, answer) : answer;
    },
    call(args) {
      return bend.call?.(args) ?? mocks.call(args);
    },
  }, "docstown", "production", dryRun);
  await pulumi.runtime.runInPulumiStack(async () => {
    try {
      return await composeStack(loadConfig());
    } catch (err) {
      failure = err;
      return {};
    }
  });
  await (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs?.();
  if (failure !== undefined) throw failure;
}
