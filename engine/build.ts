// `npm run engine`: builds the Pulumi CLI and the Node.js language host from Go modules into
// .engine/bin, through a cache of finished binaries outside the checkout.
//
//   npm run engine                 build (or copy from the cache) every target: the CLI, the
//                                  Node.js language host and the Docker resource plugin
//   npm run engine -- --only pulumi
//   npm run engine -- --force      ignore the binary cache (Go's own caches still apply)
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { cacheKey, cacheRoot, placeBinary } from "./cache";
import { fetchFailure, lastError } from "./go-errors";
import { ENGINE_DIR, REPO_ROOT, SCHEMA_DIR, TARGETS, targetVersion, type EngineTarget } from "./targets";

const BIN_DIR = path.join(REPO_ROOT, ".engine", "bin");
const LOG_DIR = path.join(REPO_ROOT, ".engine", "logs");


class EngineError extends Error {}

function say(message: string): void {
  process.stdout.write(`engine: ${message}\n`);
}

function goVersion(): string {
  const run = spawnSync("go", ["env", "GOVERSION"], { encoding: "utf8" });
  if (run.error || run.status !== 0) {
    throw new EngineError("`go` was not found on PATH: install Go 1.26 or newer (https://go.dev/doc/install)");
  }
  return run.stdout.trim();
}

function buildFlags(target: EngineTarget, version: string): string[] {
  return [
    "-trimpath",
    `-tags=${target.tags.join(",")}`,
    `-ldflags=-s -w -X ${target.versionVar}=${version}`,
  ];
}

/** Runs a command in the wrapper module, logging to .engine/logs/<label>.log, printing elapsed time. */
async function run(target: EngineTarget, label: string, command: string, args: string[], what: string): Promise<void> {
  fs.mkdirSync(LOG_DIR, { recursive: true });
  const logPath = path.join(LOG_DIR, `${label}.log`);
  const log = fs.openSync(logPath, "w");
  const started = Date.now();
  const elapsed = () => `${Math.round((Date.now() - started) / 1000)}s`;
  const ticker = setInterval(() => say(`${label}: still ${what} (${elapsed()})`), 30_000);
  try {
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(command, args, {
        cwd: path.join(ENGINE_DIR, target.dir),
        env: { ...process.env, GOFLAGS: [process.env.GOFLAGS, "-mod=readonly"].filter(Boolean).join(" ") },
        stdio: ["ignore", log, log],
      });
      child.on("error", reject);
      child.on("exit", (c, signal) => resolve(c ?? (signal ? 128 : 1)));
    });
    if (code !== 0) {
      const output = fs.readFileSync(logPath, "utf8");
      const reason = fetchFailure(output) ?? `${what} failed: ${lastError(output)}`;
      throw new EngineError(`${label}: ${reason} (full log: ${path.relative(REPO_ROOT, logPath)})`);
    }
    say(`${label}: done ${what} in ${elapsed()}`);
  } finally {
    clearInterval(ticker);
    fs.closeSync(log);
  }
}

function goBuild(target: EngineTarget, label: string, pkg: string, flags: string[], out: string): Promise<void> {
  return run(target, label, "go", ["build", ...flags, "-o", out, pkg], "building");
}

/**
 * Builds the schema generator, runs it, and leaves schema.json where the plugin embeds it; returns
 * the schema's path. The generator only maps names, so it is built without the release flags.
 */
async function generateSchema(target: EngineTarget, schema: NonNullable<EngineTarget["schema"]>, version: string, work: string): Promise<string> {
  const generator = path.join(work, "tfgen");
  await goBuild(target, `${target.binary}-tfgen`, schema.generator, ["-trimpath", `-ldflags=-X main.version=${version}`], generator);
  await run(target, `${target.binary}-schema`, generator, ["schema", "--out", work, "--skip-docs", "--skip-examples"], "generating the schema");
  const generated = path.join(work, "schema.json");
  fs.copyFileSync(generated, path.join(ENGINE_DIR, target.dir, schema.embedAt));
  return generated;
}

async function buildTarget(target: EngineTarget, goVer: string, force: boolean): Promise<void> {
  const version = targetVersion(target);
  const flags = buildFlags(target, version);
  const key = cacheKey(target, version, goVer, flags);
  const cached = path.join(cacheRoot(), key, target.binary);
  const cachedSchema = `${cached}.schema.json`;
  const dest = path.join(BIN_DIR, target.binary);
  const placeSchema = () => {
    if (target.schema === undefined) return;
    fs.mkdirSync(SCHEMA_DIR, { recursive: true });
    fs.copyFileSync(cachedSchema, path.join(SCHEMA_DIR, `${target.binary}.json`));
  };
  if (!force && fs.existsSync(cached) && (target.schema === undefined || fs.existsSync(cachedSchema))) {
    placeBinary(cached, dest);
    placeSchema();
    say(`${target.binary} ${version}: from cache ${path.dirname(cached)}`);
    return;
  }
  say(`${target.binary} ${version}: building with ${goVer} (first build downloads modules; minutes)`);
  fs.mkdirSync(path.dirname(cached), { recursive: true });
  const work = fs.mkdtempSync(path.join(path.dirname(cached), ".work-"));
  try {
    if (target.schema !== undefined) {
      const schema = await generateSchema(target, target.schema, version, work);
      fs.copyFileSync(schema, cachedSchema);
    }
    const tmp = path.join(work, target.binary);
    await goBuild(target, target.binary, target.pkg, flags, tmp);
    fs.renameSync(tmp, cached);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  placeBinary(cached, dest);
  placeSchema();
}

function parseArgs(argv: readonly string[]): { only?: Set<string>; force: boolean } {
  let only: Set<string> | undefined;
  let force = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--force") force = true;
    else if (arg === "--only" || arg.startsWith("--only=")) {
      const value = arg === "--only" ? argv[++i] : arg.slice("--only=".length);
      only = new Set((value ?? "").split(",").filter(Boolean));
    } else throw new EngineError(`unknown argument ${arg} (use --only <binary,...> or --force)`);
  }
  for (const name of only ?? []) {
    if (!TARGETS.some((t) => t.binary === name)) {
      throw new EngineError(`unknown binary ${name} (known: ${TARGETS.map((t) => t.binary).join(", ")})`);
    }
  }
  return { only, force };
}

async function main(): Promise<void> {
  const { only, force } = parseArgs(process.argv.slice(2));
  const goVer = goVersion();
  const started = Date.now();
  for (const target of TARGETS) {
    if (only && !only.has(target.binary)) continue;
    await buildTarget(target, goVer, force);
  }
  say(`done in ${Math.round((Date.now() - started) / 1000)}s: ${path.relative(REPO_ROOT, BIN_DIR)}/`);
}

main().catch((err: unknown) => {
  if (err instanceof EngineError) {
    process.stderr.write(`engine: ${err.message}\n`);
  } else {
    process.stderr.write(`engine: unexpected failure: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  // Exit once stdout and stderr are written out (a pipe may still hold the end of them).
  return import("../src/cli/exit").then(({ exitWhenWritten }) => exitWhenWritten(1));
});
