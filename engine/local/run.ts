// Long steps (engine build, demo images, pulumi up/destroy): their output streams to the
// terminal, or in quiet mode to a log file whose tail is shown when the step fails.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalError } from "./errors";

export interface StreamOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Quiet mode: write the output here instead of to the terminal. */
  readonly logFile?: string;
  /** Text written to the child's stdin (then closed), e.g. a secret value. */
  readonly input?: string;
}

/** The last `lines` non-empty lines of `text`, for a failure in quiet mode. */
export function tail(text: string, lines = 30): string {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .slice(-lines)
    .join("\n");
}

/** Runs `command` to its end; resolves with its exit code (128 + n for a signal). */
export function stream(command: string, args: readonly string[], opts: StreamOptions): Promise<number> {
  let log: number | undefined;
  if (opts.logFile !== undefined) {
    fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
    log = fs.openSync(opts.logFile, "w");
  }
  const out = log ?? "inherit";
  // Ctrl-C reaches the child too (same process group): let it cancel cleanly (pulumi finishes
  // the steps in flight and saves its state) instead of dying before it.
  const ignore = () => {};
  process.on("SIGINT", ignore);
  return new Promise<number>((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: [opts.input !== undefined ? "pipe" : "ignore", out, out] });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    child.on("error", (err: NodeJS.ErrnoException) =>
      reject(new LocalError(err.code === "ENOENT" ? `${command} is not on PATH` : `${command}: ${err.message}`)),
    );
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  }).finally(() => {
    process.off("SIGINT", ignore);
    if (log !== undefined) fs.closeSync(log);
  });
}

/** Runs a step and fails with `what` (plus the log's tail in quiet mode) when it exits non-zero. */
export async function step(what: string, command: string, args: readonly string[], opts: StreamOptions): Promise<void> {
  const code = await stream(command, args, opts);
  if (code === 0) return;
  if (opts.logFile !== undefined) {
    const shown = tail(fs.readFileSync(opts.logFile, "utf8"));
    if (shown) process.stderr.write(`${shown}\n`);
    throw new LocalError(`${what} failed (exit ${code}); full log: ${opts.logFile}`);
  }
  throw new LocalError(`${what} failed (exit ${code}); see its output above`);
}
