// Bad input through the CLI's main: a stack that is not deployed, no pulumi, no ssh-agent or no
// key in it, an unreachable host (real ssh to a closed port), a bad host key output; each one
// `ops: ...` line, exit 2. `pulumi` is a stand-in printing the production outputs ops reads.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { main } from "../../src/ops/cli";
import { agentWithKey, productionFakes, type Agent } from "./support/fakes";

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
