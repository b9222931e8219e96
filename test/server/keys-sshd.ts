// A real sshd on loopback that reads its authorized keys from one file, and an ssh client that
// tries one key at a time: whether a key logs in is what an operator relies on.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { freePort } from "../net";

/** Why this machine cannot run the server (false when it can). */
export function sshdMissing(): string | false {
  for (const tool of ["/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen"]) {
    if (!fs.existsSync(tool)) return `${tool} is missing (apt-get install openssh-server openssh-client)`;
  }
  if (process.getuid?.() !== 0) return "the loopback sshd logs in as root, so the test must run as root";
  return false;
}

/** A new ed25519 key pair in `dir`; returns the private key's path and the public key line. */
export function keyPair(dir: string, name: string): { file: string; line: string } {
  const file = path.join(dir, name);
  const r = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `${name}@docstown-test`, "-f", file], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  return { file, line: fs.readFileSync(`${file}.pub`, "utf8").trim() };
}

export interface KeysSshd {
  /** Does `key` (a private key file) log in as root, with no other key offered? */
  canLogin(key: string): boolean;
  stop(): void;
}

/**
 * sshd on a free loopback port, root logins by key only, keys from `authorizedKeysFile`. With
 * `strictModes`, sshd refuses a file (or a directory above it) that others could write, or that
 * belongs to neither root nor the user, as production's sshd does.
 */
export async function startKeysSshd(dir: string, authorizedKeysFile: string, strictModes: boolean): Promise<KeysSshd> {
  const hostKey = keyPair(dir, "host").file;
  fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const port = await freePort();
  const config = path.join(dir, "sshd_config");
  fs.writeFileSync(config, [
    `Port ${port}`, "ListenAddress 127.0.0.1", `HostKey ${hostKey}`, `AuthorizedKeysFile ${authorizedKeysFile}`,
    `PidFile ${path.join(dir, "sshd.pid")}`, "PermitRootLogin prohibit-password", "PasswordAuthentication no",
    "KbdInteractiveAuthentication no", "UsePAM no", `StrictModes ${strictModes ? "yes" : "no"}`, "",
  ].join("\n"));
  const log = path.join(dir, "sshd.log");
  const sshd: ChildProcess = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", config], { stdio: ["ignore", "ignore", fs.openSync(log, "w")] });
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (sshd.exitCode !== null) throw new Error(`sshd exited ${sshd.exitCode}: ${fs.readFileSync(log, "utf8")}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => { socket.end(); resolve(true); });
      socket.once("error", () => resolve(false));
    });
    if (open) break;
    if (Date.now() > deadline) throw new Error(`sshd did not listen: ${fs.readFileSync(log, "utf8")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    canLogin(key: string): boolean {
      const r = spawnSync("ssh", [
        "-F", "/dev/null", "-i", key, "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=no", "-o", `UserKnownHostsFile=${path.join(dir, "known_hosts")}`, "-o", "ConnectTimeout=10",
        "-p", String(port), "root@127.0.0.1", "true",
      ], { encoding: "utf8", timeout: 20_000 });
      return r.status === 0;
    },
    stop() {
      sshd.kill("SIGTERM");
    },
  };
}

/**
 * A directory sshd's StrictModes accepts keys under: every directory from / down is root's and
 * writable by root only (the system temporary directory is not: it is world-writable).
 */
export function strictModesDir(prefix: string): string {
  return fs.mkdtempSync(path.join("/var/lib", prefix));
}
