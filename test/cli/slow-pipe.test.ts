import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { PROJECT_DIR } from "../harness";

/**
 * Every CLI of the project writes all of its output before it exits, also into a pipe whose
 * reader is slower than the writer (issue 19, point 7: `synth --json | python3 …` stopped at
 * 64 kB, because `process.exit` dropped what the pipe could not take yet).
 */

const MB = 1 << 20;
const EXIT_MODULE = join(PROJECT_DIR, "src", "cli", "exit.ts");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A pipe as a shell makes one (a FIFO: 64 kB of buffer on Linux), read through its non-blocking
 * read end. `stdio: "pipe"` would give the child a socket pair, and a Node stream on the read end
 * would pull 64 kB more at once: either holds synth's 116 kB and hides the bug.
 */
function slowPipe(dir: string, name: string): { readFd: number; writeFd: number } {
  const path = join(dir, name);
  execFileSync("mkfifo", [path]);
  const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  return { readFd, writeFd: openSync(path, constants.O_WRONLY) };
}

/** Reads `fd` (non-blocking) 16 kB at a time with pauses, until every writer has closed it. */
async function readSlowly(fd: number, size = 16 * 1024, pauseMs = 10): Promise<string> {
  const parts: Buffer[] = [];
  try {
    for (;;) {
      const buffer = Buffer.alloc(size);
      let n = -1;
      try {
        n = readSync(fd, buffer, 0, size, null);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
      }
      if (n === 0) break;
      if (n > 0) parts.push(buffer.subarray(0, n));
      await sleep(pauseMs);
    }
  } finally {
    closeSync(fd);
  }
  return Buffer.concat(parts).toString("utf8");
}

/** Runs `node --import tsx <args>` in the project, its stdout and stderr each a slowly read pipe. */
async function runSlowly(args: readonly string[]): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), "slow-pipe-"));
  try {
    const out = slowPipe(dir, "stdout");
    const err = slowPipe(dir, "stderr");
    const child = spawn(process.execPath, ["--import", "tsx", ...args], { cwd: PROJECT_DIR, stdio: ["ignore", out.writeFd, err.writeFd] });
    closeSync(out.writeFd);
    closeSync(err.writeFd);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const [stdout, stderr] = await Promise.all([readSlowly(out.readFd), readSlowly(err.readFd)]);
    return { code: await exited, stdout, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A preload that queues 1 MB on stdout and on stderr before the CLI itself runs (in the main
 * thread only: Node 20 runs `--require` in the `--import` loader's thread too).
 */
function preloadQueuingOutput(): string {
  const file = join(mkdtempSync(join(tmpdir(), "slow-pipe-")), "queue-output.cjs");
  writeFileSync(
    file,
    `if (require("node:worker_threads").isMainThread) {\n` +
      `  process.stdout.write("o".repeat(${MB}) + "\\n");\n  process.stderr.write("e".repeat(${MB}) + "\\n");\n}\n`,
  );
  return file;
}

/** `text` is `filler` repeated `MB` times, a newline, then a tail matching `end`; said briefly (no 1 MB diff). */
function assertQueuedThen(text: string, filler: string, end: RegExp, what: string): void {
  const whole = text.length > MB && text.startsWith(filler.repeat(MB)) && text[MB] === "\n";
  assert.ok(whole, `${what} holds ${text.length} characters, not the ${MB + 1} queued first and then the CLI's own`);
  assert.match(text.slice(MB + 1), end, `${what} after the queued 1 MB`);
}

function assertWhole(run: Run, code: number, stdoutEnd: RegExp, stderrEnd: RegExp): void {
  assert.equal(run.code, code, run.stderr.slice(-2000));
  assertQueuedThen(run.stdout, "o", stdoutEnd, "stdout");
  assertQueuedThen(run.stderr, "e", stderrEnd, "stderr");
}

describe("the slow pipe", () => {
  const writer = (exit: string) =>
    `const { exitWhenWritten } = require(${JSON.stringify(EXIT_MODULE)});\n` +
    `process.stdout.write("o".repeat(${MB}) + "\\n"); process.stderr.write("e".repeat(${MB}) + "\\n");\n` +
    `process.stdout.write("end of stdout\\n"); process.stderr.write("end of stderr\\n");\n` +
    `void exitWhenWritten; ${exit};\n`;

  test("shows the bug: process.exit right after a 1 MB write loses the end", async () => {
    const run = await runSlowly(["-e", writer("process.exit(4)")]);
    assert.equal(run.code, 4);
    assert.ok(run.stdout.length < MB, `all ${run.stdout.length} characters arrived: the pipe was not slow enough to show the bug`);
  });

  test("exitWhenWritten delivers every byte of both streams, then exits with the code", async () => {
    const run = await runSlowly(["-e", writer("setInterval(() => {}, 1000); void exitWhenWritten(4)")]);
    assert.equal(run.code, 4);
    assertQueuedThen(run.stdout, "o", /^end of stdout\n$/, "stdout");
    assertQueuedThen(run.stderr, "e", /^end of stderr\n$/, "stderr");
  });
});

describe("every CLI finishes writing before it exits", () => {
  test("synth --json: the whole production document parses", { timeout: 180_000 }, async () => {
    const run = await runSlowly(["src/synth/cli.ts", "--stack", "production", "--placeholder-secrets", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    let doc: { stack: string; resources: unknown[] };
    try {
      doc = JSON.parse(run.stdout) as typeof doc;
    } catch (error) {
      assert.fail(`the document stops after ${run.stdout.length} bytes (${(error as Error).message})`);
    }
    assert.ok(run.stdout.length > 64 * 1024, `the document is ${run.stdout.length} bytes, less than the pipe holds: this test would not see the bug`);
    assert.equal(doc.stack, "production");
    assert.ok(doc.resources.length > 0);
  });

  // Each exit path, with 1 MB already queued on stdout and stderr when it is taken.
  const preload = preloadQueuingOutput();
  const cases: { name: string; args: string[]; code: number; stdout: RegExp; stderr: RegExp }[] = [
    { name: "synth, bad flag (exit 2)", args: ["src/synth/cli.ts", "--bogus"], code: 2, stdout: /^$/, stderr: /^synth: .*\nusage: npm run synth/ },
    { name: "synth, unreadable --compare (exit 2)", args: ["src/synth/cli.ts", "--stack", "production", "--compare", "/nonexistent.json"], code: 2, stdout: /^$/, stderr: /--compare: \/nonexistent\.json is not a document written by synth --json\n$/ },
    { name: "verify --help (exit 0)", args: ["src/verify/cli.ts", "--help"], code: 0, stdout: /^usage: /, stderr: /^$/ },
    { name: "verify, bad flag (exit 2)", args: ["src/verify/cli.ts", "--bogus"], code: 2, stdout: /^$/, stderr: /^verify: / },
    { name: "engine build, bad flag (exit 1)", args: ["engine/build.ts", "--bogus"], code: 1, stdout: /^$/, stderr: /^engine: unknown argument --bogus/ },
    { name: "local --help (exit 0)", args: ["engine/local/cli.ts", "--help"], code: 0, stdout: /^usage: npm run local:up/, stderr: /^$/ },
    { name: "local, bad command (exit 2)", args: ["engine/local/cli.ts", "sideways"], code: 2, stdout: /^$/, stderr: /^local: expected up or down, not sideways/ },
  ];
  for (const c of cases) {
    test(c.name, { timeout: 60_000 }, async () => {
      assertWhole(await runSlowly(["--require", preload, ...c.args]), c.code, c.stdout, c.stderr);
    });
  }

  test("no module of the project calls process.exit but the shared helper (src/cli/exit.ts)", () => {
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((entry) => {
        const path = join(dir, entry);
        if (entry === "node_modules") return [];
        if (statSync(path).isDirectory()) return files(path);
        return path.endsWith(".ts") ? [path] : [];
      });
    const offenders = ["src", "engine", "policies", "stacks"]
      .flatMap((dir) => files(join(PROJECT_DIR, dir)))
      .concat([join(PROJECT_DIR, "index.ts")])
      .filter((file) => file !== EXIT_MODULE)
      .filter((file) => /\bprocess\.exit\(/.test(readFileSync(file, "utf8").replace(/^\s*(\/\/|\*).*$/gm, "")))
      .map((file) => relative(PROJECT_DIR, file));
    assert.deepEqual(offenders, [], "end with exitWhenWritten(code) (src/cli/exit.ts) or process.exitCode; process.exit drops queued output");
  });
});
