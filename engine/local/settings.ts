// What `npm run local:up` / `local:down` read from the environment. Flags stay minimal (--help):
// everything a test or a second checkout needs to vary is an environment variable, so the npm
// scripts stay the same command for everyone.
import * as path from "node:path";
import { SECRET_KEYS } from "../../src/config/secrets";
import { LocalError } from "./errors";

export const ENV = {
  /** Where the file backend, passphrase, generated stack config and logs live. */
  stateDir: "DOCSTOWN_LOCAL_STATE_DIR",
  /** JSON object of `docstown:` config paths to values, e.g. {"local.httpsPort": 9443}. */
  config: "DOCSTOWN_LOCAL_CONFIG",
  /** 1: no progress lines, the CLI's output goes to the state dir's logs/ (shown on failure). */
  quiet: "DOCSTOWN_LOCAL_QUIET",
} as const;

/** A plain config value the generated stack file may hold. */
export type ConfigValue = string | number | boolean;

export interface LocalSettings {
  readonly stateDir: string;
  /** `docstown:` paths without the namespace (`local.httpsPort`), applied over the demo settings. */
  readonly overrides: Readonly<Record<string, ConfigValue>>;
  readonly quiet: boolean;
}

/** `${XDG_STATE_HOME:-$HOME/.local/state}/docstown/local`: state, not cache; it holds the passphrase. */
export function defaultStateDir(env: NodeJS.ProcessEnv, home: string): string {
  const base = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(home, ".local", "state");
  return path.join(base, "docstown", "local");
}

const PATH_SEGMENT = /^[A-Za-z][A-Za-z0-9]*$/;
const SECRET_PATHS = new Set<string>(SECRET_KEYS);

/**
 * The overrides of DOCSTOWN_LOCAL_CONFIG. Secrets are refused (they would land in the stack file
 * in plain text, which the program itself refuses) and so is `target` (this is the local stack).
 */
export function parseOverrides(raw: string | undefined): Record<string, ConfigValue> {
  if (raw === undefined || raw.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new LocalError(`${ENV.config} must be a JSON object such as {"local.httpsPort": 9443}, not ${JSON.stringify(raw)}`, 2);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new LocalError(`${ENV.config} must be a JSON object such as {"local.httpsPort": 9443}`, 2);
  }
  const overrides: Record<string, ConfigValue> = {};
  for (const [rawKey, value] of Object.entries(parsed)) {
    const key = rawKey.startsWith("docstown:") ? rawKey.slice("docstown:".length) : rawKey;
    if (!key.split(".").every((s) => PATH_SEGMENT.test(s))) {
      throw new LocalError(`${ENV.config}: ${rawKey} is not a docstown config path like local.httpsPort`, 2);
    }
    if (key === "target") throw new LocalError(`${ENV.config}: target is always local here`, 2);
    if (SECRET_PATHS.has(key)) {
      throw new LocalError(`${ENV.config}: docstown:${key} is a secret; local:up generates it (see README, The local stack)`, 2);
    }
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
      throw new LocalError(`${ENV.config}: ${rawKey} must be a string, number or boolean`, 2);
    }
    overrides[key] = value;
  }
  return overrides;
}

export function readSettings(env: NodeJS.ProcessEnv, home: string, cwd: string): LocalSettings {
  const dir = env[ENV.stateDir];
  return {
    stateDir: dir ? path.resolve(cwd, dir) : defaultStateDir(env, home),
    overrides: parseOverrides(env[ENV.config]),
    quiet: env[ENV.quiet] === "1" || env[ENV.quiet] === "true",
  };
}
