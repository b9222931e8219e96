/**
 * The runner's path to the database: an SSH tunnel through the droplet (a trusted source of the
 * cluster) to the cluster's private host, inside the VPC. The runner never connects to a database
 * endpoint itself, so `operators.databaseCidrs` gains nothing.
 *
 * The `postgresql` provider keeps dialling the name the program gives it (src/database/admin.ts);
 * the job maps that name to 127.0.0.1 in /etc/hosts, where the tunnel listens on the cluster's
 * port. libpq-style `verify-full` then checks the certificate against that real name and the
 * cluster's CA, exactly as from an operator's machine: a tunnel that led anywhere else would be
 * refused. test/runner-access/database-tunnel.test.ts runs this through a real sshd to a real
 * PostgreSQL serving a certificate for made-up cluster names.
 *
 * The ssh process runs in the background as a control master (`-M -S <socket>`), so the job can
 * end it by its socket (`-O exit`), not by searching for processes.
 */

export interface TunnelSpec {
  readonly sshUser: string;
  readonly sshHost: string;
  readonly sshPort: number;
  /** A file holding the droplet's host key line (from the state): no trust on first use. */
  readonly knownHostsFile: string;
  readonly controlSocket: string;
  /** Where the tunnel listens on the runner (127.0.0.1). */
  readonly localPort: number;
  /** Where the droplet forwards to: the cluster's private host and port. */
  readonly targetHost: string;
  readonly targetPort: number;
}

const HOST = /^[A-Za-z0-9.:-]{1,253}$/;

function port(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`${what} is not a port: ${value}`);
  return value;
}

/** ssh's arguments, without the ones that background it (`-f`), which the caller adds. */
export function tunnelArgs(spec: TunnelSpec): string[] {
  for (const [what, host] of [["ssh host", spec.sshHost], ["target host", spec.targetHost]] as const) {
    if (!HOST.test(host)) throw new Error(`${what} is not a host name or address: ${host}`);
  }
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(spec.sshUser)) throw new Error(`not a user name: ${spec.sshUser}`);
  return [
    "-N", "-M", "-S", spec.controlSocket,
    "-o", "BatchMode=yes",
    "-o", "StrictHostKeyChecking=yes",
    "-o", `UserKnownHostsFile=${spec.knownHostsFile}`,
    "-o", "ExitOnForwardFailure=yes",
    "-o", "ServerAliveInterval=15",
    "-o", "ServerAliveCountMax=4",
    "-o", "ConnectTimeout=20",
    "-L", `127.0.0.1:${port(spec.localPort, "local port")}:${spec.targetHost}:${port(spec.targetPort, "target port")}`,
    "-p", String(port(spec.sshPort, "ssh port")),
    `${spec.sshUser}@${spec.sshHost}`,
  ];
}

/** Ends the background tunnel through its control socket. */
export function tunnelExitArgs(spec: Pick<TunnelSpec, "controlSocket" | "sshUser" | "sshHost">): string[] {
  return ["-S", spec.controlSocket, "-O", "exit", `${spec.sshUser}@${spec.sshHost}`];
}
