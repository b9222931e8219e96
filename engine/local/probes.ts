// The side of the preflight that looks at this machine: commands, listening ports, images.
// preflight.ts turns what they see into problems.
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { ROLE_LABEL } from "../../policies/values";
import type { CommandRun } from "./preflight";

/** Runs a short command to completion; `missing` when it is not on PATH. */
export function runCommand(command: string, args: readonly string[], env: NodeJS.ProcessEnv): CommandRun & { stdout: string } {
  const run = spawnSync(command, args, { env, encoding: "utf8", timeout: 60_000 });
  const missing = (run.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
  return { missing, status: run.status, stdout: run.stdout ?? "", stderr: run.stderr ?? (run.error ? String(run.error.message) : "") };
}

/** Whether listening on `host:port` fails because something holds it. */
function heldOn(port: number, host: string, ipv6Only: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", (err: NodeJS.ErrnoException) => {
      // EADDRNOTAVAIL/EAFNOSUPPORT: no such address family here, so nothing can hold it there.
      // EACCES: a port below 1024 we may not bind; Docker still can, so it is not "busy".
      resolve(err.code === "EADDRINUSE");
    });
    server.listen({ port, host, ipv6Only, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

/**
 * Whether something listens on `port` on any address Docker would publish it on (all IPv4 and
 * all IPv6 addresses). Binding the wildcard fails while any socket listens on that port, a
 * loopback-only one included.
 */
export async function portBusy(port: number): Promise<boolean> {
  return (await heldOn(port, "0.0.0.0", false)) || (await heldOn(port, "::", true));
}

/** `{{.Ports}}` of every running DocsTown proxy container, one a line (empty when none). */
export function proxyContainerPorts(env: NodeJS.ProcessEnv): string {
  const run = runCommand("docker", ["ps", "--filter", `label=${ROLE_LABEL}=proxy`, "--format", "{{.Ports}}"], env);
  return run.status === 0 ? run.stdout : "";
}

/** Which of `refs` the Docker engine does not have. */
export function missingImages(refs: readonly string[], env: NodeJS.ProcessEnv): Set<string> {
  return new Set(refs.filter((ref) => runCommand("docker", ["image", "inspect", "--format", "{{.Id}}", ref], env).status !== 0));
}

/** Tags of the docstown-postgres images already built (`15`, `16`, ...). */
export function builtPostgresTags(env: NodeJS.ProcessEnv): string[] {
  const run = runCommand("docker", ["image", "ls", "--format", "{{.Tag}}", "docstown-postgres"], env);
  return run.status === 0 ? run.stdout.split("\n").filter(Boolean) : [];
}
