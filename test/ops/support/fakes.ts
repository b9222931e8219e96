// Stand-ins for what the production path reaches over the network, so it can run against this
// machine's Docker engine: a `pulumi` that prints the production outputs ops reads, and an `ssh`
// that records its arguments and runs the remote command here (`sh -c` of its last argument, as
// sshd hands it to the deploy user's shell). And a real ssh-agent holding a generated key.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface Fakes {
  readonly dir: string;
  /** PATH with the fakes first. */
  readonly path: string;
  /** Every ssh invocation's arguments, in order. */
  sshCalls(): string[][];
}

const SEP = "\u001f";

const made: string[] = [];

/** Removes every stand-in directory made so far (call it from the test's `after`). */
export function removeFakes(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export function productionFakes(outputs: Record<string, string | undefined>, pulumiFailure?: string): Fakes {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "docstown-ops-fakes-"));
  made.push(dir);
  const log = path.join(dir, "ssh.log");
  const cases = Object.entries(outputs)
    .map(([name, value]) => `  ${name}) ${value === undefined ? `echo "error: current stack does not have output property '${name}'" >&2; exit 255` : `printf '%s\\n' '${value.replace(/'/g, `'\\''`)}'`} ;;`)
    .join("\n");
  const pulumi = pulumiFailure
    ? `#!/bin/sh\necho "error: ${pulumiFailure}" >&2\nexit 255\n`
    : `#!/bin/sh\n# pulumi stack output <name> [--json] --stack production --non-interactive\ncase "$3" in\n${cases}\n  *) echo "error: current stack does not have output property '$3'" >&2; exit 255 ;;\nesac\n`;
  fs.writeFileSync(path.join(dir, "pulumi"), pulumi, { mode: 0o755 });
  fs.writeFileSync(
    path.join(dir, "ssh"),
    `#!/bin/sh\n(for a in "$@"; do printf '%s${SEP}' "$a"; done; printf '\\n') >> '${log}'\nfor last in "$@"; do :; done\nexec sh -c "$last"\n`,
    { mode: 0o755 },
  );
  return {
    dir,
    path: `${dir}${path.delimiter}${process.env.PATH ?? ""}`,
    sshCalls: () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean).map((l) => l.split(SEP).slice(0, -1)) : []),
  };
}

export interface Agent {
  readonly socket: string;
  stop(): void;
}

/** A real ssh-agent holding one fresh ed25519 key (none with `empty`). */
export async function agentWithKey(empty = false): Promise<Agent> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "docstown-ops-agent-"));
  const socket = path.join(dir, "agent.sock");
  const key = path.join(dir, "id_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "ops-test", "-f", key]);
  const agent: ChildProcess = spawn("ssh-agent", ["-D", "-a", socket], { stdio: "ignore" });
  for (let i = 0; i < 50 && !fs.existsSync(socket); i++) await new Promise((r) => setTimeout(r, 100));
  if (!empty) execFileSync("ssh-add", ["-q", key], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: "ignore" });
  return {
    socket,
    stop: () => {
      agent.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
