// .ci/run runs exactly the README's test command, and that command runs both suites, the engine
// suite with nothing skipped under CI=true.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";

const ROOT = path.resolve(__dirname, "..", "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

/** The first command of README's "The two commands" section. */
function readmeTestCommand(): string {
  const section = read("README.md").split("## The two commands")[1] ?? "";
  const block = /```sh\n([^\n]+)\n```/.exec(section);
  assert.ok(block?.[1], "README's 'The two commands' opens with a sh block");
  return block[1].trim();
}

test("README's test command runs typecheck, lint, the unit suite and the engine suite", () => {
  assert.equal(readmeTestCommand(), "npm ci && npm run test:all");
  const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;
  assert.equal(scripts["test:all"], "bash test/run-all.sh");
  assert.equal(scripts["test"], "npm run typecheck && npm run lint && npm run test:unit");
  const runAll = read("test/run-all.sh");
  for (const step of ["npm run -s typecheck || exit 1", "npm run -s lint || exit 1", "npm run -s engine", "npm run -s test:unit", "npm run -s test:engine"]) {
    assert.ok(runAll.includes(step), `test/run-all.sh runs ${step}`);
  }
  // Both suites count: the exit status is non-zero when either failed.
  assert.match(runAll, /\[ "\$unit" -eq 0 \] && \[ "\$engine" -eq 0 \]\s*$/);
  assert.match(scripts["test:engine"] ?? "", /^npm run engine && .*node .*--test .*\*\.engine\.test\.ts/);
  assert.equal(scripts["test:unit"], "node --import tsx test/run-unit.ts", "the unit suite's files: test/unit-groups.ts");
});

test(".ci/run ends by running exactly that command", () => {
  const lines = read(".ci/run").trim().split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("#"));
  assert.equal(lines[lines.length - 1]?.trim(), readmeTestCommand());
});

test("under CI=true the engine suite's preconditions fail instead of skipping", () => {
  // Every engine test file either uses engineTest (fails under CI) or turns its skip off when CI=true.
  const dir = path.join(ROOT, "test");
  const files = fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith(".engine.test.ts"));
  assert.ok(files.length >= 5, `engine test files: ${files.join(", ")}`);
  for (const file of files) {
    const text = fs.readFileSync(path.join(dir, file), "utf8");
    assert.ok(/engineTest\(|CI !== "true"|skipUnlessCi\(|inCI/.test(text), `${file} may skip under CI=true`);
  }
});

test("the engine suite runs two files at a time, except those that must run alone", () => {
  const script = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts["test:engine"] ?? "";
  assert.match(script, /--test-concurrency=2 \$\(find test -name "\*\.engine\.test\.ts" -not -name "\*\.alone\.engine\.test\.ts"/);
  assert.match(script, /--test-concurrency=1 \$\(find test -name "\*\.alone\.engine\.test\.ts"/);
  // The alone files first, while the unit suite (test:all) fills the cores they leave idle; the
  // second phase runs whether or not the first passed, so one run reports every failure.
  assert.ok(script.indexOf("--test-concurrency=1") < script.indexOf("--test-concurrency=2"), script);
  assert.match(script, /alone=\$\?; node .* && \[ \$alone -eq 0 \]; \}$/);
  // What disturbs whatever runs beside it: a Docker daemon restart stops every container, the
  // interrupted-deploy runbook removes every labelled container its state does not know, and a
  // request loop that counts failed requests must not share the two cores with another up.
  const dir = path.join(ROOT, "test");
  const files = fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith(".engine.test.ts"));
  const disturbing = files.filter((f) => /restartDockerDaemon\(|recoverInterruptedDeploy\(|requestLoop\(/.test(fs.readFileSync(path.join(dir, f), "utf8")));
  assert.ok(disturbing.length > 0, "the lifecycle test restarts the daemon and runs the recovery");
  for (const file of disturbing) assert.match(file, /\.alone\.engine\.test\.ts$/, `${file} must run alone: name it *.alone.engine.test.ts`);
});
