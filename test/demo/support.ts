import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";

/** The demo's Go module and build script. */
export const DEMO_DIR = resolve(__dirname, "../../demo");

/** The names the image installs the demo binary under (demo/build.sh). */
export const DEMO_NAMES = ["thrust", "rails", "jobs", "docker-entrypoint", "curl"] as const;

function firstLine(text: string | undefined): string {
  return (text ?? "").trim().split("\n").filter(Boolean).pop() ?? "";
}

/** Why Docker tests cannot run here, or undefined. */
export function dockerMissing(): string | undefined {
  const info = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { encoding: "utf8", timeout: 15000 });
  if (info.error !== undefined) return `no Docker engine: docker CLI not runnable (${info.error.message})`;
  if (info.status !== 0) return `no Docker engine: docker info failed (${firstLine(info.stderr) || `exit ${info.status}`})`;
  return undefined;
}

export function goMissing(): string | undefined {
  const go = spawnSync("go", ["version"], { encoding: "utf8" });
  return go.status === 0 ? undefined : "go is not installed (Go >= 1.25 builds the demo binary)";
}

/**
 * The first reason among `reasons` to skip, or false. Under CI=true a missing tool is not a
 * skip: one test fails with the reason (and the rest are skipped), so CI cannot go green by
 * running nothing.
 */
export function skipUnlessCi(...reasons: (string | undefined)[]): string | false {
  const reason = reasons.find((r) => r !== undefined);
  if (reason === undefined) return false;
  if (process.env["CI"] === "true") test(`required under CI=true: ${reason}`, () => assert.fail(reason));
  return reason;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Builds the demo binary into `<dir>/bin` the way demo/build.sh does (static, version and
 * migration switch as ldflags) and links it under the names the image gives it.
 */
export function buildDemoBinary(dir: string, options: { version: string; failMigration?: boolean }): string {
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  const ldflags = `-s -w -X main.version=${options.version} -X main.failMigration=${options.failMigration === true}`;
  const r = spawnSync("go", ["build", "-trimpath", "-ldflags", ldflags, "-o", join(bin, "docstown-demo"), "./rails"], {
    cwd: DEMO_DIR, encoding: "utf8", timeout: 600_000, env: { ...process.env, CGO_ENABLED: "0" },
  });
  if (r.status !== 0) throw new Error(`go build of the demo failed: ${r.error?.message ?? r.stderr}`);
  for (const name of DEMO_NAMES) symlinkSync("docstown-demo", join(bin, name));
  return bin;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 100 ms until it returns a value or `ms` pass. */
export async function waitFor<T>(what: string, ms: number, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}
