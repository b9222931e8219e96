// The demo images local:up runs (`npm run demo:images`, demo/build.sh) and which of them must be
// built first. Only images named like the demo's are built here; any other image the settings
// name must already be in the Docker engine (imageSource daemon) or come from a registry.
import * as fs from "node:fs";
import * as path from "node:path";
import { requiredVersion } from "../targets";
import type { ConfigValue } from "./settings";

/** demo/build.sh's default --prefix. */
const PREFIX = "docstown-";

export type DemoPart = "app" | "postgres" | "proxy";

/** Caddy's version as demo/build.sh tags it: the one demo/caddy/go.mod requires, without "v". */
export function caddyVersion(goMod: string): string {
  return requiredVersion(goMod, "github.com/caddyserver/caddy/v2").replace(/^v/, "");
}

/**
 * The PostgreSQL major demo/build.sh would package: the newest server under /usr/lib/postgresql
 * (`installed`), else the newest docstown-postgres image already built (`built`), else 15, the
 * Debian release's own, which the build then asks to have installed.
 */
export function postgresMajor(installed: readonly string[], built: readonly string[]): string {
  const newest = (xs: readonly string[]) => xs.filter((x) => /^\d+$/.test(x)).sort((a, b) => Number(b) - Number(a))[0];
  return newest(installed) ?? newest(built) ?? "15";
}

/** The settings that run the local stack on the demo images, by name from the engine. */
export function demoSettings(caddy: string, pgMajor: string): Record<string, ConfigValue> {
  return {
    "app.image": `${PREFIX}demo`,
    "app.tag": "1",
    "app.proxyImage": `${PREFIX}caddy:${caddy}`,
    "local.postgresImage": `${PREFIX}postgres:${pgMajor}`,
    "local.imageSource": "daemon",
  };
}

export interface ImageRefs {
  readonly app: string;
  readonly postgres: string;
  readonly proxy: string;
}

export interface BuildPlan {
  /** demo/build.sh arguments, or undefined when nothing needs building. */
  readonly args?: readonly string[];
  /** Images the settings name that are missing and that no demo build makes. */
  readonly foreign: readonly string[];
}

/**
 * What to build for the images that are `missing` from the engine: each demo-named one through
 * demo/build.sh (--only, --version from the app tag); any other missing image is reported.
 */
export function buildPlan(refs: ImageRefs, missing: ReadonlySet<string>, caddy: string, pgMajor: string): BuildPlan {
  const parts: DemoPart[] = [];
  const foreign: string[] = [];
  let version: string | undefined;
  const app = /^docstown-demo:([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.exec(refs.app);
  for (const [part, ref] of Object.entries(refs) as [DemoPart, string][]) {
    if (!missing.has(ref)) continue;
    const demo =
      (part === "app" && app !== null) ||
      (part === "postgres" && ref === `${PREFIX}postgres:${pgMajor}`) ||
      (part === "proxy" && ref === `${PREFIX}caddy:${caddy}`);
    if (!demo) {
      foreign.push(ref);
      continue;
    }
    parts.push(part);
    if (part === "app") version = app?.[1];
  }
  if (parts.length === 0) return { foreign };
  return { args: ["--only", parts.join(","), ...(version !== undefined ? ["--version", version] : [])], foreign };
}

/** The majors with a server binary under `root` (/usr/lib/postgresql), as demo/build.sh looks. */
export function installedPostgresMajors(root = "/usr/lib/postgresql"): string[] {
  try {
    return fs.readdirSync(root).filter((major) => fs.existsSync(path.join(root, major, "bin", "postgres")));
  } catch {
    return [];
  }
}
