// The finished binaries are kept outside the checkout, keyed on everything that decides their
// bytes, so a second `npm run engine` (or a fresh clone on the same machine) copies instead of
// compiling for minutes.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ENGINE_DIR, type EngineTarget } from "./targets";

/** Root of the binary cache: ${XDG_CACHE_HOME:-$HOME/.cache}/docstown-engine. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), ".cache");
  return path.join(base, "docstown-engine");
}

/**
 * The wrapper's own files (go.mod, go.sum, *.go), its nested modules' and commands' included, as
 * paths relative to it in a stable order. A generated schema.json is an output, not an input.
 */
export function wrapperFiles(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === "" ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) out.push(...wrapperFiles(dir, rel));
    else if (e.isFile() && /^(go\.mod|go\.sum|.*\.go)$/.test(e.name)) out.push(rel);
  }
  return out.sort();
}

/**
 * Cache key of one binary: its name and stamped version, the Go version and platform, the build
 * flags, and a hash of the wrapper module's files (which pin every dependency through go.sum).
 */
export function cacheKey(target: EngineTarget, version: string, goVersion: string, flags: readonly string[]): string {
  const dir = path.join(ENGINE_DIR, target.dir);
  const hash = crypto.createHash("sha256");
  hash.update(JSON.stringify({ binary: target.binary, version, goVersion, flags, platform: `${process.platform}-${process.arch}` }));
  for (const name of wrapperFiles(dir)) {
    hash.update(`\0${name}\0`);
    hash.update(fs.readFileSync(path.join(dir, name)));
  }
  return `${target.binary}-${version}-${hash.digest("hex").slice(0, 16)}`;
}

/** Puts `src` at `dest`: a hard link where the file systems allow it, else a copy. */
export function placeBinary(src: string, dest: string): void {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.rmSync(dest, { force: true });
  try {
    fs.linkSync(src, dest);
  } catch {
    fs.copyFileSync(src, dest);
    fs.chmodSync(dest, 0o755);
  }
}
