// What `npm run engine` builds: one entry per binary, each from a wrapper Go module of ours in
// engine/<dir>. The third-party code comes from the Go module proxy at build time only.
import * as fs from "node:fs";
import * as path from "node:path";

/** One binary built from a wrapper module. */
export interface EngineTarget {
  /** File name in .engine/bin. */
  readonly binary: string;
  /** Wrapper module folder under engine/. */
  readonly dir: string;
  /** Go package to build, relative to the wrapper module ("." for its own main package). */
  readonly pkg: string;
  /** The module whose required version names the binary's version. */
  readonly versionModule: string;
  /** Go variable the version is stamped into with -X. */
  readonly versionVar: string;
  /** Build tags, as upstream's release builds use them. */
  readonly tags: readonly string[];
  /**
   * The version to stamp when it is not a required module's (a bridged plugin reports the version
   * of the SDK package whose requests it serves); overrides versionModule.
   */
  readonly fixedVersion?: string;
  /**
   * A schema generated before the build: the generator package is built and run as
   * `<generator> schema --out <dir>`, and its schema.json is embedded from `embedAt` (relative to
   * the wrapper module) and kept beside the binary as `<binary>.schema.json`.
   */
  readonly schema?: { readonly generator: string; readonly embedAt: string };
}

export const ENGINE_DIR = __dirname;

/** The `pulumi.version` of the @pulumi/docker package in the lock file (test/tooling checks it). */
export const DOCKER_SDK_VERSION = "5.2.0";
export const REPO_ROOT = path.dirname(ENGINE_DIR);

/** Where a generated plugin schema is kept for the tests (`<binary>.json`). */
export const SCHEMA_DIR = path.join(REPO_ROOT, ".engine", "schemas");

export const TARGETS: readonly EngineTarget[] = [
  {
    binary: "pulumi",
    dir: "cli",
    pkg: "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",
    versionModule: "github.com/pulumi/pulumi/pkg/v3",
    versionVar: "github.com/pulumi/pulumi/sdk/v3/go/common/version.Version",
    tags: ["osusergo", "grpcnotrace"],
  },
  {
    binary: "pulumi-language-nodejs",
    dir: "language-nodejs",
    pkg: ".",
    versionModule: "github.com/pulumi/pulumi/sdk/v3",
    versionVar: "main.version",
    tags: ["osusergo", "grpcnotrace"],
  },
  {
    // The Terraform bridge over kreuzwerker's provider, as upstream pulumi-docker is made, without
    // its native Image build resource. It reports @pulumi/docker's version: every resource the SDK
    // registers names that version, and the engine only uses a plugin that reports it.
    binary: "pulumi-resource-docker",
    dir: "docker",
    pkg: "./cmd/pulumi-resource-docker",
    versionModule: "github.com/pulumi/pulumi-terraform-bridge/v3",
    versionVar: "main.version",
    tags: [],
    fixedVersion: DOCKER_SDK_VERSION,
    schema: { generator: "./cmd/pulumi-tfgen-docker", embedAt: "cmd/pulumi-resource-docker/schema.json" },
  },
];

/** The version a wrapper's go.mod requires of `module` (e.g. "v3.274.1"). */
export function requiredVersion(goMod: string, module: string): string {
  const escaped = module.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const match = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, "m").exec(goMod);
  if (!match?.[1]) throw new Error(`${module} is not required in this go.mod`);
  return match[1];
}

/** The stamped version of a target, read from its committed go.mod. */
export function targetVersion(target: EngineTarget): string {
  if (target.fixedVersion !== undefined) return target.fixedVersion;
  const goMod = fs.readFileSync(path.join(ENGINE_DIR, target.dir, "go.mod"), "utf8");
  return requiredVersion(goMod, target.versionModule);
}
