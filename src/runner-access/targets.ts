/**
 * What a runner job needs to reach the droplet and, through it, the database, read from the
 * production stack's state (`pulumi stack export`): no new stack output, and the values are the
 * provider's own, not derived from a naming convention.
 *
 * - the droplet's address and its pinned host key (stack outputs `publicIp`, `knownHostsLine`);
 * - the tag the stack's firewall applies to (the opening joins the same droplets);
 * - the cluster's public host (the name the `postgresql` provider dials and `verify-full` checks:
 *   src/database/admin.ts), its private host (where the tunnel leads, inside the VPC) and port.
 *
 * Every value is checked before it is written as an environment line, so nothing in the state can
 * add a line of its own to $GITHUB_ENV.
 */
import { isIP } from "node:net";

export interface RunnerTargets {
  readonly sshHost: string;
  readonly knownHostsLine: string;
  readonly firewallTag: string;
  readonly databaseHost: string;
  readonly databasePrivateHost: string;
  readonly databasePort: number;
}

interface ExportedResource {
  readonly type?: string;
  readonly urn?: string;
  readonly outputs?: Record<string, unknown>;
}

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/i;
const KNOWN_HOSTS = /^[^\s#]+ (ssh-ed25519|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|ssh-rsa) [A-Za-z0-9+/=]+$/;

export class TargetsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TargetsError";
  }
}

function text(value: unknown, what: string, valid: (v: string) => boolean): string {
  if (typeof value !== "string" || !valid(value)) {
    const shown = typeof value === "string" ? `"${value.slice(0, 80)}"` : typeof value === "object" && value !== null ? "a secret or an object" : String(value);
    throw new TargetsError(`the production stack's state has no usable ${what} (found ${shown}): has the stack been deployed once from an operator's machine (docs/first-deploy.md)?`);
  }
  return value;
}

export function runnerTargets(exported: unknown): RunnerTargets {
  const resources = ((exported as { deployment?: { resources?: ExportedResource[] } })?.deployment?.resources ?? []);
  const stack = resources.find((r) => r.type === "pulumi:pulumi:Stack");
  const outputs = stack?.outputs ?? {};
  const sshHost = text(outputs["publicIp"], "stack output publicIp", (v) => isIP(v) !== 0);
  const knownHostsLine = text(outputs["knownHostsLine"], "stack output knownHostsLine", (v) => KNOWN_HOSTS.test(v));
  const database = (outputs["database"] ?? {}) as Record<string, unknown>;
  const databaseHost = text(database["host"], "stack output database.host", (v) => HOST_NAME.test(v));

  const clusters = resources.filter((r) => r.type === "digitalocean:index/databaseCluster:DatabaseCluster" && r.outputs?.["host"] === databaseHost);
  if (clusters.length !== 1) throw new TargetsError(`expected one database cluster with host ${databaseHost} in the state, found ${clusters.length}`);
  const cluster = clusters[0]!.outputs!;
  const databasePrivateHost = text(cluster["privateHost"], "cluster privateHost", (v) => HOST_NAME.test(v));
  const port = Number(cluster["port"]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TargetsError(`the cluster's port in the state is not a port: ${String(cluster["port"])}`);

  const firewalls = resources.filter((r) => r.type === "digitalocean:index/firewall:Firewall");
  // Every tag the stack's firewalls apply to: the volume host's, and with web.count 2+ the web
  // hosts' too, since the deploy reaches each host's Docker over SSH.
  const tags = [...new Set(firewalls.flatMap((f) => (Array.isArray(f.outputs?.["tags"]) ? (f.outputs!["tags"] as unknown[]) : [])))];
  if (tags.length === 0) throw new TargetsError("expected the stack's firewalls to apply to a tag, found none");
  const firewallTag = tags.map((t) => text(t, "firewall tag", (v) => /^[A-Za-z0-9:_.-]{1,255}$/.test(v))).sort().join(",");

  return { sshHost, knownHostsLine, firewallTag, databaseHost, databasePrivateHost, databasePort: port };
}

/** `NAME=value` lines for $GITHUB_ENV. */
export function environmentLines(t: RunnerTargets): string[] {
  return [
    `DOCSTOWN_SSH_HOST=${t.sshHost}`,
    `DOCSTOWN_KNOWN_HOSTS_LINE=${t.knownHostsLine}`,
    `DOCSTOWN_FIREWALL_TAG=${t.firewallTag}`,
    `DOCSTOWN_DB_HOST=${t.databaseHost}`,
    `DOCSTOWN_DB_PRIVATE_HOST=${t.databasePrivateHost}`,
    `DOCSTOWN_DB_PORT=${t.databasePort}`,
  ];
}
