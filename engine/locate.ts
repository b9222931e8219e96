// Which Pulumi engine tooling and tests should use: the one `npm run engine` built into
// .engine/bin, else a `pulumi` CLI on PATH, else none (with the reason).
import * as fs from "node:fs";
import * as path from "node:path";

export type EngineLocation =
  | { readonly found: true; readonly binDir: string; readonly source: "built" | "path" }
  | { readonly found: false; readonly reason: string };

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The first directory of `PATH` holding an executable `name`, if any. */
export function whichDir(name: string, envPath: string | undefined): string | undefined {
  for (const dir of (envPath ?? "").split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return dir;
  }
  return undefined;
}

/**
 * Where the `pulumi` CLI to use is. `repoRoot` defaults to this checkout; `envPath` to `PATH`.
 */
export function locateEngine(
  repoRoot: string = path.dirname(__dirname),
  envPath: string | undefined = process.env.PATH,
): EngineLocation {
  const built = path.join(repoRoot, ".engine", "bin");
  if (isExecutable(path.join(built, "pulumi"))) return { found: true, binDir: built, source: "built" };
  const onPath = whichDir("pulumi", envPath);
  if (onPath) return { found: true, binDir: onPath, source: "path" };
  return {
    found: false,
    reason: `no ${path.join(".engine", "bin", "pulumi")} (run \`npm run engine\`) and no pulumi CLI on PATH`,
  };
}

/**
 * Where a plugin binary (`pulumi-language-nodejs`, `pulumi-resource-tls`, ...) is found the way
 * the engine looks: next to the CLI, then on PATH. Undefined when it is nowhere.
 */
export function locatePlugin(
  engine: { readonly binDir: string },
  binary: string,
  envPath: string | undefined = process.env.PATH,
): string | undefined {
  if (isExecutable(path.join(engine.binDir, binary))) return path.join(engine.binDir, binary);
  const dir = whichDir(binary, envPath);
  return dir ? path.join(dir, binary) : undefined;
}

export type EngineWithPlugins =
  | { readonly found: true; readonly binDir: string; readonly source: "built" | "path" }
  | { readonly found: false; readonly binDir: string; readonly missing: readonly string[] };

/**
 * A CLI that can run a program needing `plugins` with automatic plugin downloads off: a `pulumi`
 * on PATH whose plugins sit beside it or on PATH (someone installed a full toolchain: use it),
 * else .engine/bin with them. When neither is complete, `missing` names what .engine/bin lacks,
 * that is, what `npm run engine` has to build.
 */
export function locateEngineWithPlugins(
  plugins: readonly string[],
  repoRoot: string = path.dirname(__dirname),
  envPath: string | undefined = process.env.PATH,
): EngineWithPlugins {
  const complete = (binDir: string) => plugins.every((p) => locatePlugin({ binDir }, p, envPath) !== undefined);
  const onPath = whichDir("pulumi", envPath);
  if (onPath && complete(onPath)) return { found: true, binDir: onPath, source: "path" };
  const built = path.join(repoRoot, ".engine", "bin");
  const missing = ["pulumi", ...plugins].filter((b) =>
    b === "pulumi" ? !isExecutable(path.join(built, b)) : locatePlugin({ binDir: built }, b, envPath) === undefined,
  );
  if (missing.length === 0) return { found: true, binDir: built, source: "built" };
  return { found: false, binDir: built, missing };
}
