// A real OpenSSH server on loopback with its own host key, and an ssh-agent holding the only key it
// accepts: the transport production's Docker provider takes to the droplet (ssh://, the key from
// the agent, the host key pinned), run here against this machine's Docker engine.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { freePort } from "../../net";

export interface LoopbackSshd {
  readonly port: number;
  /** `ssh://root@127.0.0.1:<port>`: root, since the Docker socket is root's here. */
  readonly dockerHost: string;
  /** The server's host key as a known_hosts line (`[127.0.0.1]:<port> ssh-ed25519 AAAA…`). */
  readonly knownHostsLine: string;
  /** The agent holding the client key: pass as SSH_AUTH_SOCK. */
  readonly agentSocket: string;
  stop(): void;
}

/** Why this machine cannot run the server (undefined when it can). */
export function sshdMissing(): string | undefined {
  for (const tool of ["/usr/sbin/sshd", "ssh", "ssh-keygen", "ssh-agent", "ssh-add"]) {
    const probe = spawnSync(tool.startsWith("/") ? tool : "sh", tool.startsWith("/") ? ["-V"] : ["-c", `command -v ${tool}`], { encoding: "utf8" });
    if (probe.error !== undefined || (!tool.startsWith("/") && probe.status !== 0)) return `${tool} is missing (apt-get install openssh-server openssh-client)`;
  }
  if (process.getuid?.() !== 0) return "sshd on loopback needs root here (it logs in as root to reach the Docker socket)";
  return undefined;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(command, args, { encoding: "utf8", env });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

async function waitForPort(port: number, child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited ${child.exitCode}: ${fs.readFileSync(log, "utf8")}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => { socket.end(); resolve(true); });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd did not listen on 127.0.0.1:${port}: ${fs.readFileSync(log, "utf8")}`);
}

/** Starts sshd on a free loopback port and an agent with the one authorized key. */
export async function startLoopbackSshd(): Promise<LoopbackSshd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "docstown-sshd-"));
  const hostKey = path.join(dir, "host_ed25519");
  const clientKey = path.join(dir, "client_ed25519");
  run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "docstown-test-host", "-f", hostKey]);
  run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "docstown-test-deployer", "-f", clientKey]);
  fs.copyFileSync(`${clientKey}.pub`, path.join(dir, "authorized_keys"));
  fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const port = await freePort();
  const config = path.join(dir, "sshd_config");
  fs.writeFileSync(config, [
    `Port ${port}`,
    "ListenAddress 127.0.0.1",
    `HostKey ${hostKey}`,
    `AuthorizedKeysFile ${path.join(dir, "authorized_keys")}`,
    `PidFile ${path.join(dir, "sshd.pid")}`,
    "PermitRootLogin prohibit-password",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "UsePAM no",
    // The temporary directory is not root-only all the way up; the keys in it are.
    "StrictModes no",
    "",
  ].join("\n"));
  const log = path.join(dir, "sshd.log");
  const sshd = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", config], { stdio: ["ignore", "ignore", fs.openSync(log, "w")] });
  await waitForPort(port, sshd, log);

  const agentSocket = path.join(dir, "agent.sock");
  const agent = spawn("ssh-agent", ["-D", "-a", agentSocket], { stdio: "ignore" });
  const deadline = Date.now() + 10_000;
  while (!fs.existsSync(agentSocket)) {
    if (Date.now() > deadline) throw new Error("ssh-agent did not create its socket");
    await new Promise((r) => setTimeout(r, 50));
  }
  run("ssh-add", ["-q", clientKey], { ...process.env, SSH_AUTH_SOCK: agentSocket });
  // The client key's file goes: from here on only the agent holds it, as on an operator's laptop.
  fs.rmSync(clientKey);

  const [type, key] = fs.readFileSync(`${hostKey}.pub`, "utf8").trim().split(/\s+/);
  return {
    port,
    dockerHost: `ssh://root@127.0.0.1:${port}`,
    knownHostsLine: `[127.0.0.1]:${port} ${type} ${key}`,
    agentSocket,
    stop() {
      sshd.kill("SIGTERM");
      agent.kill("SIGTERM");
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
