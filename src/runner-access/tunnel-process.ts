/**
 * Starts and ends the database tunnel (./tunnel.ts) as a background ssh control master, from the
 * values `targets` wrote to the job's environment. The droplet's host key comes from the state
 * (`knownHostsLine`), never from the first connection.
 */
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tunnelArgs, tunnelExitArgs, type TunnelSpec } from "./tunnel";

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name] ?? "";
  if (value === "") throw new Error(`${name} is not set: run \`runner-access targets\` into $GITHUB_ENV first`);
  return value;
}

function specFrom(env: NodeJS.ProcessEnv): TunnelSpec {
  const dir = env["RUNNER_TEMP"] || tmpdir();
  const targetPort = Number(required(env, "DOCSTOWN_DB_PORT"));
  return {
    sshUser: env["DOCSTOWN_SSH_USER"] || "deploy",
    sshHost: required(env, "DOCSTOWN_SSH_HOST"),
    sshPort: Number(env["DOCSTOWN_SSH_PORT"] || 22),
    knownHostsFile: join(dir, "docstown-db-tunnel.known_hosts"),
    controlSocket: join(dir, "docstown-db-tunnel.sock"),
    // Tests move it off the port the server itself listens on; on a runner it is the cluster's.
    localPort: Number(env["DOCSTOWN_TUNNEL_PORT"] || targetPort),
    targetHost: required(env, "DOCSTOWN_DB_PRIVATE_HOST"),
    targetPort,
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.end();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export async function openTunnel(env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  const spec = specFrom(env);
  writeFileSync(spec.knownHostsFile, `${required(env, "DOCSTOWN_KNOWN_HOSTS_LINE")}\n`, { mode: 0o600 });
  const logFile = `${spec.controlSocket}.log`;
  const fd = openSync(logFile, "w");
  // -f: ssh goes to the background once the forward is up (ExitOnForwardFailure makes a failed
  // forward an exit instead). Its output goes to a file: a pipe would stay open with it.
  const result = spawnSync("ssh", ["-f", ...tunnelArgs(spec)], { stdio: ["ignore", fd, fd], env: { ...process.env, ...env }, timeout: 60_000 });
  closeSync(fd);
  if (result.status !== 0) throw new Error(`the tunnel through ${spec.sshUser}@${spec.sshHost} did not start (ssh exit ${result.status}): ${readFileSync(logFile, "utf8").trim()}`);
  const deadline = Date.now() + 10_000;
  while (!(await accepts(spec.localPort))) {
    if (Date.now() > deadline) throw new Error(`the tunnel started but 127.0.0.1:${spec.localPort} does not accept connections`);
    await new Promise((r) => setTimeout(r, 100));
  }
  log(`tunnel: 127.0.0.1:${spec.localPort} -> ${spec.sshUser}@${spec.sshHost} -> ${spec.targetHost}:${spec.targetPort}`);
}

export function closeTunnel(env: NodeJS.ProcessEnv, log: (line: string) => void): void {
  const spec = specFrom(env);
  if (!existsSync(spec.controlSocket)) {
    log("tunnel: none to close");
    return;
  }
  const result = spawnSync("ssh", tunnelExitArgs(spec), { encoding: "utf8", env: { ...process.env, ...env }, timeout: 30_000 });
  if (result.status !== 0) throw new Error(`could not end the tunnel: ${result.stderr.trim()}`);
  log("tunnel: closed");
}
