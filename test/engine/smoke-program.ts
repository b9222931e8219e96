// Throwaway Pulumi TypeScript projects for the engine smoke test: a temp directory with
// Pulumi.yaml, package.json, index.ts and this repository's node_modules linked in, plus a
// file-backend environment that needs no account and no network.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

export interface SmokeProject {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Runs `pulumi <args>` in the project; throws with the output when it fails. */
  pulumi(args: readonly string[], timeoutMs?: number): string;
  cleanup(): void;
}

/**
 * Writes a project whose package.json depends on `dependencies` (resolved from this repo's
 * node_modules) and whose index.ts is `program`.
 */
export function smokeProject(binDir: string, name: string, dependencies: readonly string[], program: string): SmokeProject {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `docstown-engine-${name}-`));
  const dir = path.join(root, "program");
  fs.mkdirSync(dir);
  fs.mkdirSync(path.join(root, "state"));
  fs.writeFileSync(
    path.join(dir, "Pulumi.yaml"),
    // The short runtime form: TypeScript must be the default, as with the upstream host.
    `name: ${name}\nruntime: nodejs\n`,
  );
  const deps = Object.fromEntries(["@pulumi/pulumi", ...dependencies].map((d) => [d, "*"]));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, private: true, dependencies: deps }, null, 2));
  fs.writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { strict: true, target: "ES2022", module: "commonjs", esModuleInterop: true } }),
  );
  fs.writeFileSync(path.join(dir, "index.ts"), program);
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ""}`,
    PULUMI_HOME: path.join(root, "home"),
    PULUMI_BACKEND_URL: `file://${path.join(root, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "smoke-test-passphrase",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    NO_COLOR: "1",
  };
  const pulumiBin = path.join(binDir, "pulumi");
  return {
    dir,
    env,
    pulumi(args, timeoutMs = 300_000) {
      const run: SpawnSyncReturns<string> = spawnSync(pulumiBin, [...args, "--non-interactive"], {
        cwd: dir,
        env,
        encoding: "utf8",
        timeout: timeoutMs,
      });
      if (run.status !== 0) {
        throw new Error(`pulumi ${args.join(" ")} exited ${run.status ?? run.signal}:\n${run.stdout}\n${run.stderr}`);
      }
      return run.stdout;
    },
    cleanup() {
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
