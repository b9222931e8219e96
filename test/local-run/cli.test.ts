import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";

const CLI = resolve(__dirname, "../../engine/local/cli.ts");
const TSX = pathToFileURL(require.resolve("tsx")).href;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;
let emptyBin: string;

/** The real CLI in a child whose PATH holds no docker, no go and no pulumi. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((done) => {
    const childEnv = { PATH: emptyBin, HOME: join(dir, "home"), DOCSTOWN_LOCAL_STATE_DIR: join(dir, "state"), ...env };
    execFile(process.execPath, ["--import", TSX, CLI, ...args], { env: childEnv, timeout: 60_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** Every stderr line is one of ours: no stack trace, no tool noise. */
function assertOnlyOurLines(stderr: string): void {
  const lines = stderr.trimEnd().split("\n");
  assert.ok(lines.length > 0 && lines[0] !== "", "something is said");
  for (const line of lines) assert.match(line, /^local: \S/, `unexpected stderr line: ${line}`);
  assert.ok(!/\n\s+at /.test(stderr), "no stack trace");
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), "local-run-cli-"));
  emptyBin = join(dir, "bin");
  mkdirSync(emptyBin);
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe("npm run local:up without Docker", () => {
  it("exits 2 with one line saying to install Docker, and starts nothing", async () => {
    const run = await cli(["up"]);
    assert.equal(run.code, 2, run.stderr);
    assertOnlyOurLines(run.stderr);
    assert.match(run.stderr, /^local: docker is not on PATH: install Docker Engine/m);
    assert.equal(run.stdout, "");
    assert.equal(existsSync(join(dir, "state")), false, "no state dir before the preflight passes");
  });

  it("reports a bad DOCSTOWN_LOCAL_CONFIG as one line, exit 2", async () => {
    const run = await cli(["up"], { DOCSTOWN_LOCAL_CONFIG: "{not json" });
    assert.equal(run.code, 2);
    assertOnlyOurLines(run.stderr);
    assert.equal(run.stderr.trimEnd().split("\n").length, 1);
  });

  it("reports bad settings with the program's docstown: lines, beside the Docker line", async () => {
    const run = await cli(["up"], { DOCSTOWN_LOCAL_CONFIG: '{"local.httpsPort": 0}' });
    assert.equal(run.code, 2);
    assertOnlyOurLines(run.stderr);
    assert.match(run.stderr, /^local: docstown:local\.httpsPort: /m);
    assert.match(run.stderr, /^local: docker is not on PATH/m);
  });
});

describe("npm run local:down", () => {
  it("has nothing to take down when the state dir holds no stack", async () => {
    const run = await cli(["down"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^local: down: no local stack state in .*; nothing to take down$/m);
  });

  it("exits 2 without Docker once there is state to destroy", async () => {
    mkdirSync(join(dir, "state", "backend"), { recursive: true });
    const run = await cli(["down"]);
    assert.equal(run.code, 2);
    assertOnlyOurLines(run.stderr);
    assert.match(run.stderr, /^local: docker is not on PATH/m);
  });
});

describe("local CLI arguments", () => {
  it("prints its usage with --help", async () => {
    const run = await cli(["--help"]);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /DOCSTOWN_LOCAL_STATE_DIR/);
    assert.match(run.stdout, /DOCSTOWN_LOCAL_CONFIG/);
    assert.match(run.stdout, /DOCSTOWN_LOCAL_QUIET/);
  });

  it("refuses anything but up or down, one line, exit 2", async () => {
    for (const args of [[], ["sideways"], ["up", "--stack", "x"]]) {
      const run = await cli(args);
      assert.equal(run.code, 2, args.join(" "));
      assertOnlyOurLines(run.stderr);
      assert.equal(run.stderr.trimEnd().split("\n").length, 1);
    }
  });
});
