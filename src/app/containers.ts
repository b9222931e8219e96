import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import { ROLE_LABEL } from "../../policies/values";
import { goDuration } from "./go-duration";

/**
 * Settings every DocsTown container shares, and the pieces that differ per role. Pure values:
 * the component only adds images, networks and env, so what a user relies on (limits, health,
 * mounts, log rotation) is readable and testable here.
 */

export type ContainerRole = "web" | "worker" | "migrate" | "proxy" | "postgres";

// The label the policy pack identifies web, worker, migrate and proxy by.
export { ROLE_LABEL };

/** The Rails image's `rails` user (uid 1000, group 1000 in its /etc/passwd); it must own what the app writes (the repository clone). */
export const APP_UID = 1000;
export const APP_GID = 1000;
/**
 * The app containers' `user`: the bare uid. An upload with an owner makes the daemon look the
 * whole `user` string up in the Docker host's passwd database, which fails the create on
 * "uid:gid" (moby #34142, #49213); the app's uploads set no owner today, but one that did would
 * break on the next deploy. At run time a bare uid gets its group from the image's passwd line
 * (rails 1000:1000); a uid missing there would run with group 0.
 */
export const APP_USER = String(APP_UID);
/** `chown`'s owner argument for what the app writes: the uid with its group, spelled out. */
export const APP_OWNER = `${APP_UID}:${APP_GID}`;

/** Puma's port inside the web container (Thruster's TARGET_PORT); the proxy routes here. */
export const PUMA_PORT = 3000;

/** Caddy listens on unprivileged ports, so it runs without root and needs no capability to bind. */
export const PROXY_LISTEN = { http: 8080, https: 8443 } as const;
/**
 * Caddy's user: `nobody`, 65534:65534 in the official caddy image (Alpine) and the demo image's
 * /etc/passwd. The container `user` is the bare uid for the reason APP_USER is (the production
 * proxy's key upload has an owner, so there the lookup does happen: "65534:65534" failed it, while
 * 65534 is `nobody` on the Ubuntu host); the image's passwd line gives it group 65534.
 */
export const PROXY_UID = 65534;
export const PROXY_GID = 65534;
export const PROXY_USER = String(PROXY_UID);
/** `chown`'s owner argument for the proxy's data volume. */
export const PROXY_OWNER = `${PROXY_UID}:${PROXY_GID}`;
export const CADDYFILE_PATH = "/etc/caddy/Caddyfile";
export const TLS_CERTIFICATE_PATH = "/etc/caddy/tls/origin.crt";
export const TLS_KEY_PATH = "/etc/caddy/tls/origin.key";
/** The CA that signs the client certificate Cloudflare presents (authenticated origin pulls). */
export const ORIGIN_PULL_CA_PATH = "/etc/caddy/tls/origin-pull-ca.crt";
/** Caddy's data and config directories (the official image sets XDG_DATA_HOME and XDG_CONFIG_HOME to them). */
export const CADDY_DATA_PATH = "/data";
export const CADDY_CONFIG_PATH = "/config";
/**
 * Caddy's data directory when it runs its local CA (the local stack): a Docker volume mounted where
 * neither the caddy image nor the app image has a directory. Mounted over an image directory such
 * as /data, a fresh (still empty) volume gets that directory's owner, root, copied onto it at every
 * mount until something is written, undoing the owner step's chown; Docker's `nocopy` would stop
 * that, but kreuzwerker's provider refuses any `volumeOptions` on daemons older than API 1.45
 * (Docker 26), so the path itself avoids the copy. XDG_DATA_HOME points Caddy there.
 */
export const LOCAL_CA_DATA_PATH = "/var/lib/docstown-caddy";
/** Where Caddy keeps the root certificate of its local CA (`tls internal`), under its data directory. */
export const LOCAL_CA_ROOT_PATH = `${LOCAL_CA_DATA_PATH}/caddy/pki/authorities/local/root.crt`;

/**
 * The one capability the proxy keeps. The official caddy image marks /usr/bin/caddy with the file
 * capability `cap_net_bind_service=+ep` (caddyserver/caddy-docker #396, #466). The kernel refuses
 * to exec a binary whose file capabilities are not all in the bounding set ("exec /usr/bin/caddy:
 * operation not permitted"), so with every capability dropped the proxy never starts. Caddy does
 * not use it here (it listens on 8080/8443); it is kept only so the binary can be executed, and
 * no-new-privileges stays on (checked on a real engine: test/app/zero-downtime.alone.engine.test.ts).
 */
export const PROXY_CAPABILITIES = ["CAP_NET_BIND_SERVICE"];

/** What the one-shot owner steps keep: changing a directory's owner, nothing else. */
export const CHOWN_CAPABILITY = "CAP_CHOWN";

/**
 * A capability name as the daemon reads it back: `CAP_` and upper case, `ALL` as it is. Docker
 * accepts `chown` or `CHOWN` on create but a refresh returns `CAP_CHOWN`, and the provider then
 * replaces the container on the next `up`; writing the read-back form leaves nothing to diff.
 */
export function readBackCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  if (upper === "ALL") return upper;
  return upper.startsWith("CAP_") ? upper : `CAP_${upper}`;
}

/** Network alias every web container answers to; the proxy resolves it every second. */
export const WEB_ALIAS = "web";

/** Rotated logs: Docker's default json-file driver grows without limit. */
export function logging(): { logDriver: string; logOpts: Record<string, string> } {
  return { logDriver: "local", logOpts: { "max-size": "20m", "max-file": "5" } };
}

/** No privilege gain through setuid binaries (CIS Docker 5.26). */
export const NO_NEW_PRIVILEGES = "no-new-privileges:true";

/** No capabilities except `adds`, and no privilege gain (CIS Docker 5.3, 5.26); names in the read-back form. */
export function hardening(adds: readonly string[] = []): { securityOpts: string[]; capabilities: docker.types.input.ContainerCapabilities } {
  const drops = ["ALL"];
  return { securityOpts: [NO_NEW_PRIVILEGES], capabilities: adds.length > 0 ? { drops, adds: adds.map(readBackCapability) } : { drops } };
}

export function roleLabels(role: ContainerRole, extra: Readonly<Record<string, pulumi.Input<string>>> = {}): docker.types.input.ContainerLabel[] {
  return [{ label: ROLE_LABEL, value: role }, ...Object.entries(extra).map(([label, value]) => ({ label, value }))];
}

/**
 * The provider has no pids_limit; RLIMIT_NPROC is the closest guard against a fork bomb. It
 * counts every process and thread of the container's uid on the host, so it caps the app
 * containers of that uid together, with room to spare at the configured value.
 */
export function processLimit(limit: number): docker.types.input.ContainerUlimit[] {
  return [{ name: "nproc", soft: limit, hard: limit }];
}

/**
 * The web health check: GET /up on Puma's port at the container's own address, which is the
 * path the proxy uses, so a Puma bound to localhost only fails the deploy instead of passing it.
 * curl is in the Rails 8 Dockerfile's base image. The start period covers a slow boot (Kamal
 * users' top pain); `wait` holds the deploy until the check passes.
 */
export function webHealthcheck(host: string, bootSeconds: number): docker.types.input.ContainerHealthcheck {
  if (!/^[a-z0-9.-]+$/.test(host)) throw new Error(`not a host name: ${host}`);
  const probe =
    `curl -fsS -o /dev/null --max-time 4 -H 'Host: ${host}' -H 'X-Forwarded-Proto: https' ` +
    `"http://$(hostname):${PUMA_PORT}/up"`;
  // Durations in Go's form: the provider reads them back so, and any other spelling replaces web on every up.
  return { tests: ["CMD-SHELL", probe], interval: goDuration(5), timeout: goDuration(5), retries: 3, startPeriod: goDuration(bootSeconds) };
}

/** Where the repository clone lives: a host directory (the mounted block volume) or a Docker volume. */
export type ReposMount = { readonly hostPath: string } | { readonly volumeName: pulumi.Input<string> };

/** A named Docker volume at `containerPath` (the `-v name:path` form; no volumeOptions, see LOCAL_CA_DATA_PATH). */
export function namedVolume(volumeName: pulumi.Input<string>, containerPath: string): docker.types.input.ContainerVolume {
  return { volumeName, containerPath };
}

export function reposVolume(mount: ReposMount, mountPath: string): docker.types.input.ContainerVolume {
  return "hostPath" in mount
    ? { hostPath: mount.hostPath, containerPath: mountPath }
    : { volumeName: mount.volumeName, containerPath: mountPath };
}

export const WEB_COMMAND = ["./bin/thrust", "./bin/rails", "server"];
export const WORKER_COMMAND = ["./bin/jobs"];
export const MIGRATE_COMMAND = ["./bin/rails", "db:prepare"];
export const PROXY_COMMAND = ["caddy", "run", "--config", CADDYFILE_PATH, "--adapter", "caddyfile"];

/**
 * The provider updates a running container in place for only a few fields (restart policy,
 * memory, CPU); others it reports as updated yet never applies. These are the ones this program
 * sets, so a change to them replaces the container instead of silently not reaching it.
 */
export const REPLACE_ON_CHANGES = ["healthcheck", "tmpfs", "init", "ulimits", "sysctls", "uploads"];

/**
 * Memory limit with swap equal to it: Docker keeps the first swap limit (twice the first memory
 * limit) on in-place updates and refuses a later memory limit above it; equal swap also keeps the
 * app out of swap, where it would crawl instead of being restarted.
 */
export function memoryLimit(mb: number): { memory: number; memorySwap: number } {
  return { memory: mb, memorySwap: mb };
}

/**
 * What every one-shot step on a host shares (the owner steps, the operators' keys): logged, 64 MB,
 * read-only root, no network, run once and waited for, never restarted. Only what it runs, as
 * whom, with which capability and which mount differs.
 */
export function oneShotStep(): Pick<docker.ContainerArgs, "logDriver" | "logOpts" | "memory" | "memorySwap" | "readOnly" | "restart" | "mustRun" | "attach" | "networkMode"> {
  return { ...logging(), ...memoryLimit(64), readOnly: true, restart: "no", mustRun: false, attach: true, networkMode: "none" };
}
