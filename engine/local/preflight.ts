// What must hold before local:up starts anything, as pure functions of what the probes saw
// (probes.ts). Each problem is one line saying what to do; all of them are reported at once.

/** How a command ran: `missing` when it is not on PATH at all. */
export interface CommandRun {
  readonly missing: boolean;
  readonly status: number | null;
  readonly stderr: string;
}

function firstLine(text: string): string {
  return (
    text
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l !== "") ?? ""
  );
}

/** `docker info`: the CLI must be there and a daemon must answer it. */
export function dockerProblem(info: CommandRun, dockerHost: string | undefined): string | undefined {
  if (info.missing) {
    return "docker is not on PATH: install Docker Engine (https://docs.docker.com/engine/install/) and run this again";
  }
  if (info.status === 0) return undefined;
  const where = dockerHost ? ` at ${dockerHost}` : "";
  const why = firstLine(info.stderr);
  return `no Docker engine answers${where}${why ? ` (docker info: ${why})` : ""}: start it (e.g. sudo systemctl start docker) or fix DOCKER_HOST, then run this again`;
}

/** `go` is needed only when the engine or a demo image must be built. */
export function goProblem(toBuild: readonly string[], goFound: boolean): string | undefined {
  if (goFound || toBuild.length === 0) return undefined;
  return `go is not on PATH and ${toBuild.join(" and ")} must be built from Go modules: install Go 1.26 or newer (https://go.dev/doc/install)`;
}

/**
 * The host ports the DocsTown proxy containers publish, from
 * `docker ps --filter label=docstown.role=proxy --format '{{.Ports}}'`, one container a line:
 * `0.0.0.0:8080->80/tcp, :::8080->80/tcp, 0.0.0.0:8443->443/tcp`.
 */
export function ownProxyPorts(dockerPsPorts: string): Set<number> {
  const ports = new Set<number>();
  for (const match of dockerPsPorts.matchAll(/:(\d+)->\d+\/tcp/g)) ports.add(Number(match[1]));
  return ports;
}

/**
 * A published port must be free, or held by our own proxy (a second `local:up` replaces or
 * keeps it). `key` is the config path that names the port.
 */
export function portProblem(key: string, port: number, busy: boolean, ours: ReadonlySet<number>): string | undefined {
  if (!busy || ours.has(port)) return undefined;
  return `port ${port} (docstown:${key}) is in use by another program: stop it (see: ss -ltnp 'sport = :${port}') or set another port in Pulumi.local.yaml or DOCSTOWN_LOCAL_CONFIG='{"${key}": <port>}'`;
}
