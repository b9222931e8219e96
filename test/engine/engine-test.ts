// One rule for every engine test: it needs the engine (and the named plugins); without them it is
// skipped with the reason, except under CI=true, where a missing binary fails the test.
import assert from "node:assert/strict";
import { test } from "node:test";
import { locateEngine, locatePlugin } from "../../engine/locate";

export const engine = locateEngine();
const inCI = process.env.CI === "true";

/** Why a test cannot run (undefined when it can). */
function missing(binaries: readonly string[]): string | undefined {
  if (!engine.found) return engine.reason;
  const absent = binaries.filter((b) => !locatePlugin(engine, b));
  if (absent.length === 0) return undefined;
  return `${absent.join(", ")} not found next to ${engine.binDir}/pulumi or on PATH (see README, Engine build)`;
}

/** A test that runs with the engine's bin directory, needing `binaries` besides `pulumi`. */
export function engineTest(name: string, binaries: readonly string[], fn: (binDir: string) => void | Promise<void>): void {
  const reason = missing(binaries);
  if (reason && !inCI) {
    test(name, { skip: reason }, () => {});
    return;
  }
  test(name, { timeout: 600_000 }, () => {
    assert.ok(!reason && engine.found, `CI=true and ${reason}`);
    return fn(engine.binDir);
  });
}
