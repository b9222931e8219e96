// The committed production config with one top-level key changed, as config validation sees it.
import { resolve } from "node:path";
import { SECRET_KEYS } from "../../src/config/secrets";
import { validateConfig } from "../../src/config/validate";
import { readStackFile } from "../../src/synth/stack-file";
import { PROJECT_DIR } from "../harness";

export const production = readStackFile(resolve(PROJECT_DIR, "Pulumi.production.yaml"), true).config;
export const operators = JSON.parse(production["docstown:operators"] ?? "{}") as Record<string, unknown>;

/** Validation errors with `value` merged over `docstown:operators` (or replacing `docstown:cloudflare`). */
export function errorsWith(key: "operators" | "cloudflare", value: Record<string, unknown>): string[] {
  const base = key === "operators" ? operators : {};
  const result = validateConfig({ ...production, [`docstown:${key}`]: JSON.stringify({ ...base, ...value }) }, new Set(SECRET_KEYS));
  return result.ok ? [] : result.errors;
}
