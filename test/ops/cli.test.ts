// The CLI's input: what the operator types (every command and option, each mistake refused with
// one line) and the environment it finds: a stack that is not deployed, no pulumi, no ssh-agent or
// no key in it, an unreachable host (real ssh to a closed port), a bad host key output; each one
// `ops: ...` line, exit 2. `pulumi` is a stand-in printing the production outputs ops reads.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { execFileSync } from "node:child_process";
import { OpsError } from "../../src/ops/errors";
import { agentWithKey, productionFakes, removeFakes, type Agent } from "./support/fakes";
import { main } from "../../src/ops/cli";
import { parseArgs, parseSince, USAGE } from "../../src/ops/args";

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

async function ops(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, env, { out: (l) => out.push(l), err: (l) => err.push(l), interactive: false });
  return { code, out, err };
}

function expectOneLine(r: { code: number; out: string[]; err: string[] }, message: RegExp): void {
  assert.equal(r.code, 2, r.err.join("\n"));
  assert.equal(r.err.length, 1, r.err.join("\n"));
  assert.match(r.err[0] ?? "", message);
  assert.deepEqual(r.out, []);
}

/** A known_hosts line for 127.0.0.1 with a fresh key: nothing there holds it, and nothing is written to ~/.ssh. */
function pinnedLine(dir: string): string {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "host")]);
  return `127.0.0.1 ${fs.readFileSync(path.join(dir, "host.pub"), "utf8").trim().split(" ").slice(0, 2).join(" ")}`;
}

describe("bad input: one line saying what to do, exit 2", () => {
  let agent: Agent;
  let empty: Agent;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "docstown-ops-bad-"));
  const base = { ...process.env };
  delete base.SSH_AUTH_SOCK;
  const deployed = (ip: string, known: string) => productionFakes({ publicIp: ip, knownHostsLine: known, logs: '{"driver":"journald","tag":"docstown-production"}' });

  before(async () => {
    agent = await agentWithKey();
    empty = await agentWithKey(true);
  });
  after(() => {
    agent.stop();
    empty.stop();
    removeFakes();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("production not deployed, and no pulumi at all", async () => {
    const fakes = productionFakes({}, "no stack named 'production' found");
    expectOneLine(await ops(["ps"], { ...base, PATH: fakes.path, SSH_AUTH_SOCK: agent.socket }), /^ops: the production stack is not deployed \(no stack named 'production' found\): run pulumi up --stack production first/);
    const noOutput = productionFakes({ knownHostsLine: "" });
    expectOneLine(await ops(["ps"], { ...base, PATH: noOutput.path, SSH_AUTH_SOCK: agent.socket }), /^ops: the production stack is not deployed \(current stack does not have output property 'publicIp'\)/);
    expectOneLine(await ops(["ps"], { ...base, PATH: "/nonexistent" }), /^ops: cannot read the production stack's outputs \(pulumi is not on PATH: install the Pulumi CLI/);
  });

  test("the local stack not deployed", async () => {
    expectOneLine(await ops(["logs", "--stack", "local"], { ...base, DOCSTOWN_LOCAL_STATE_DIR: path.join(dir, "no-state") }), /^ops: the local stack is not deployed \(no state in .*no-state\): run npm run local:up first$/);
  });

  test("no ssh-agent, and an agent without a key", async () => {
    const fakes = deployed("203.0.113.7", "");
    expectOneLine(await ops(["ps"], { ...base, PATH: fakes.path }), /^ops: no ssh-agent \(SSH_AUTH_SOCK is not set\): start one .* and ssh-add the operator key listed in docstown:operators\.sshPublicKeys$/);
    expectOneLine(await ops(["ps"], { ...base, PATH: fakes.path, SSH_AUTH_SOCK: empty.socket }), /^ops: ssh-agent holds no key: /);
  });

  test("an unreachable host: the real ssh fails, ops says what to check", async () => {
    const fakes = deployed("127.0.0.1", pinnedLine(dir));
    // Only the fake pulumi is taken from the fakes: ssh is the real one.
    fs.rmSync(path.join(fakes.dir, "ssh"));
    for (const argv of [["ps"], ["logs", "--role", "web"], ["exec", "--", "true"]]) {
      expectOneLine(await ops(argv, { ...base, PATH: fakes.path, SSH_AUTH_SOCK: agent.socket }), /^ops: cannot reach deploy@127\.0\.0\.1 over SSH \(.+\): check that the droplet is up, your address is in docstown:operators\.sshCidrs/);
    }
  });

  test("a knownHostsLine output that is not a host key", async () => {
    const fakes = deployed("203.0.113.7", "not a key");
    expectOneLine(await ops(["ps"], { ...base, PATH: fakes.path, SSH_AUTH_SOCK: agent.socket }), /^ops: the production stack's knownHostsLine output is not an ed25519 known_hosts line/);
  });
});
