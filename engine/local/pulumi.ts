// The pulumi commands local:up and local:down run, all on the state dir's file backend. Stack
// bookkeeping runs in the scratch project; only the commands that need the program (config set,
// up, destroy) run in the checkout, each with --config-file so the committed file stays as is.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import type { StateLayout } from "./backend";
import { LocalError } from "./errors";
import { step } from "./run";

export const STACK = "local";

export interface PulumiCli {
  readonly binDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly layout: StateLayout;
  readonly repoRoot: string;
  readonly quiet: boolean;
}

export type CommandName = "stackList" | "stackInit" | "stackExport" | "stackOutput" | "setSecret" | "up" | "destroy";

export interface CommandSpec {
  readonly args: readonly string[];
  readonly cwd: string;
}

/**
 * Every pulumi command with where it runs. A command run in the checkout reads and may write the
 * stack config file: each carries --config-file with the generated one (a test checks this).
 */
export function commandSpec(cli: Pick<PulumiCli, "layout" | "repoRoot">, name: CommandName, key = ""): CommandSpec {
  const scratch = (args: string[]) => ({ args: [...args, "--non-interactive"], cwd: cli.layout.project });
  const repo = (args: string[]) => ({ args: [...args, "--stack", STACK, "--config-file", cli.layout.configFile, "--non-interactive"], cwd: cli.repoRoot });
  switch (name) {
    case "stackList":
      return scratch(["stack", "ls", "--json"]);
    case "stackInit":
      return scratch(["stack", "init", STACK]);
    case "stackExport":
      return scratch(["stack", "export", "--stack", STACK]);
    case "stackOutput":
      return scratch(["stack", "output", "--json", "--stack", STACK]);
    case "setSecret":
      return repo(["config", "set", "--secret", key]);
    case "up":
    case "destroy":
      // Unattended, a preview before the update shows nothing anyone acts on, and costs a second
      // run of the program and of every provider: the update prints the same steps as it takes them.
      return repo([name, "--yes", "--skip-preview"]);
  }
}

/** Runs a short pulumi command and returns its stdout; fails with its error output. */
function capture(cli: PulumiCli, name: CommandName, key?: string, input?: string): string {
  const spec = commandSpec(cli, name, key);
  const run = spawnSync(path.join(cli.binDir, "pulumi"), spec.args, { cwd: spec.cwd, env: cli.env, encoding: "utf8", input, timeout: 300_000 });
  if (run.status === 0) return run.stdout;
  const detail = (run.stderr || run.stdout || run.error?.message || "").trim().split("\n").slice(-3).join(" / ");
  throw new LocalError(`pulumi ${spec.args.slice(0, 2).join(" ")} failed: ${detail}`);
}

export const listStacks = (cli: PulumiCli): string => capture(cli, "stackList");
export const initStack = (cli: PulumiCli): void => void capture(cli, "stackInit");
export const exportStack = (cli: PulumiCli): string => capture(cli, "stackExport");
export const stackOutputs = (cli: PulumiCli): string => capture(cli, "stackOutput");

/** Sets a secret in the generated file, the value on stdin (never on a command line). */
export function setSecret(cli: PulumiCli, key: string, value: string): void {
  capture(cli, "setSecret", key, value);
}

/** `pulumi up` or `pulumi destroy`, non-interactive, output streamed (or logged when quiet). */
export function deploy(cli: PulumiCli, command: "up" | "destroy"): Promise<void> {
  const spec = commandSpec(cli, command);
  return step(`pulumi ${command}`, path.join(cli.binDir, "pulumi"), spec.args, {
    cwd: spec.cwd,
    env: cli.env,
    ...(cli.quiet ? { logFile: path.join(cli.layout.logs, `${command}.log`) } : {}),
  });
}
