// Where local:up keeps its Pulumi state, and the environment every pulumi command gets: a file
// backend and a generated passphrase in the state dir, so no account and no prompt are needed.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalError } from "./errors";

export interface StateLayout {
  readonly dir: string;
  /** PULUMI_BACKEND_URL=file://<backend>. */
  readonly backend: string;
  /** The passphrase, 0600, generated once; PULUMI_CONFIG_PASSPHRASE_FILE. */
  readonly passphrase: string;
  /** PULUMI_HOME: workspace settings and plugin cache apart from the user's own ~/.pulumi. */
  readonly home: string;
  /**
   * A project directory holding only a Pulumi.yaml named like ours, where `pulumi stack init` and
   * the read-only stack commands run: `stack init` has no --config-file and would otherwise write
   * the passphrase's salt into the committed Pulumi.local.yaml.
   */
  readonly project: string;
  /** The generated stack config file passed with --config-file. */
  readonly configFile: string;
  readonly logs: string;
  /** Where the proxy's local CA certificate is copied to. */
  readonly caFile: string;
}

export function stateLayout(dir: string): StateLayout {
  return {
    dir,
    backend: path.join(dir, "backend"),
    passphrase: path.join(dir, "passphrase"),
    home: path.join(dir, "pulumi-home"),
    project: path.join(dir, "project"),
    configFile: path.join(dir, "Pulumi.local.yaml"),
    logs: path.join(dir, "logs"),
    caFile: path.join(dir, "docstown-local-ca.crt"),
  };
}

/** The environment of every pulumi command: ours wins over whatever the caller had set. */
export function pulumiEnv(layout: StateLayout, binDir: string, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  // A passphrase in the environment would win over the file and fail to decrypt our stack.
  delete env.PULUMI_CONFIG_PASSPHRASE;
  delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
  return {
    ...env,
    // The plugins next to the CLI are found first, the way the engine test projects do it.
    PATH: [binDir, base.PATH].filter(Boolean).join(path.delimiter),
    PULUMI_HOME: layout.home,
    PULUMI_BACKEND_URL: `file://${layout.backend}`,
    PULUMI_CONFIG_PASSPHRASE_FILE: layout.passphrase,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    // ts-node compiles the program without type-checking it: about 5 s less on each of the two
    // program runs of every local:up on 2 cores. `npm run typecheck` (part of npm test) is the
    // type gate; production deploys keep the SDK's default and type-check at every run.
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
  };
}

/** The scratch project's Pulumi.yaml: the same project name, so it addresses the same stacks. */
export function scratchProjectYaml(projectName: string): string {
  return [
    "# Written by npm run local:up: stack commands run here so that none writes the committed",
    "# Pulumi.local.yaml. The program itself runs from the checkout with --config-file.",
    `name: ${projectName}`,
    "runtime: nodejs",
    "",
  ].join("\n");
}

/**
 * Creates the state dir (0700) with the backend, the scratch project and the passphrase. The
 * passphrase is made once and never rewritten: the stack's secrets are encrypted under it.
 */
export function prepareState(layout: StateLayout, projectName: string): void {
  fs.mkdirSync(layout.dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(layout.dir, 0o700);
  for (const dir of [layout.backend, layout.home, layout.project, layout.logs]) fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(layout.project, "Pulumi.yaml"), scratchProjectYaml(projectName));
  try {
    fs.writeFileSync(layout.passphrase, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    fs.chmodSync(layout.passphrase, 0o600);
  }
}

/** The names in `pulumi stack ls --json`. */
export function stackNames(lsJson: string): string[] {
  const list = JSON.parse(lsJson) as unknown;
  if (!Array.isArray(list)) throw new LocalError("pulumi stack ls --json did not print a list");
  return list.map((s: { name?: unknown }) => String(s.name ?? ""));
}

/** The passphrase salt a stack's secrets are encrypted under, from `pulumi stack export`. */
export function saltFromExport(exportJson: string): string {
  const doc = JSON.parse(exportJson) as { deployment?: { secrets_providers?: { type?: string; state?: { salt?: unknown } } } };
  const providers = doc.deployment?.secrets_providers;
  const salt = providers?.state?.salt;
  if (providers?.type !== "passphrase" || typeof salt !== "string" || salt === "") {
    throw new LocalError(`the local stack's state has no passphrase secrets provider (${providers?.type ?? "none"}); remove the state dir or point DOCSTOWN_LOCAL_STATE_DIR elsewhere`);
  }
  return salt;
}
