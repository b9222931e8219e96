// What the operator types: every command and option, and each mistake refused with one line.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseArgs, parseSince, USAGE } from "../../src/ops/args";
import { OpsError } from "../../src/ops/errors";

const NOW = Date.parse("2026-12-05T12:00:00Z");
const parse = (...argv: string[]) => parseArgs(argv, NOW);
const refused = (argv: string[], message: RegExp) =>
  assert.throws(() => parseArgs(argv, NOW), (err: unknown) => err instanceof OpsError && err.exitCode === 2 && message.test(err.message) && !err.message.includes("\n"));

test("defaults: production, every role, 100 lines", () => {
  assert.deepEqual(parse("ps"), { command: "ps", stack: "production", follow: false, lines: 100, reuse: false, argv: [] });
  assert.equal(parse(), "help");
  assert.equal(parse("logs", "--help"), "help");
  for (const flag of ["--stack", "--role", "--follow", "--since", "--lines", "--release", "--reuse"]) assert.ok(USAGE.includes(flag), flag);
});

test("logs options; exec takes its command after --, options after it are the command's", () => {
  assert.deepEqual(parse("logs", "--stack", "local", "--role", "worker", "-f", "--since", "2h", "--lines", "0", "--release", "a".repeat(64)), {
    command: "logs", stack: "local", role: "worker", follow: true, since: NOW / 1000 - 7200, lines: 0, release: `sha256:${"a".repeat(64)}`, reuse: false, argv: [],
  });
  const exec = parse("exec", "--role", "worker", "--reuse", "--", "./bin/rails", "runner", "--help");
  assert.ok(exec !== "help");
  assert.deepEqual([exec.role, exec.reuse, exec.argv], ["worker", true, ["./bin/rails", "runner", "--help"]]);
  assert.equal(parseSince("2026-12-05T10:00:00Z", NOW), NOW / 1000 - 7200);
  assert.equal(parseSince("30m", NOW), NOW / 1000 - 1800);
});

test("bad input: one line each, exit 2", () => {
  refused(["deploy"], /^unknown command "deploy": one of ps, logs, console, exec, dbconsole$/);
  refused(["logs", "--role", "db"], /^unknown role "db": one of web, worker, proxy, migrate$/);
  refused(["ps", "--stack", "staging"], /^unknown stack "staging": one of production, local$/);
  refused(["logs", "--role"], /needs a value/);
  refused(["logs", "--since", "yesterday"], /give a duration/);
  refused(["logs", "--since", "2026-12-05 10:00"], /with its zone/);
  refused(["logs", "--lines", "-3"], /whole number/);
  refused(["logs", "--release", "abc123"], /full image digest/);
  refused(["ps", "--follow"], /--follow is for logs, not ps/);
  refused(["exec"], /exec needs a command after --/);
  refused(["ps", "--", "ls"], /takes no command/);
  refused(["console", "--role", "proxy"], /has none/);
  refused(["exec", "--role", "proxy", "--", "caddy", "version"], /add --reuse/);
  refused(["exec", "--role", "migrate", "--reuse", "--", "ls"], /not running/);
  refused(["ps", "--verbose"], /unknown option --verbose/);
});
