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

/** The Rails image's `rails` user; it must own what the app writes (the repository clone). */
export const APP_USER = "1000:1000";

/** Puma's port inside the web container (Thruster's TARGET_PORT); the proxy routes here. */
export const PUMA_PORT = 3000;

/** Caddy listens on unprivileged ports, so it runs without root and needs no capability to bind. */
export const PROXY_LISTEN = { http: 8080, https: 8443 } as const;
export const PROXY_USER = "65534:65534";
export const CADDYFILE_PATH = "/etc/caddy/Caddyfile";
export const TLS_CERTIFICATE_PATH = "/etc/caddy/tls/origin.crt";
export const TLS_KEY_PATH = "/etc/caddy/tls/origin.key";
/** The CA that signs the client certificate Cloudflare presents (authenticated origin pulls). */
export const ORIGIN_PULL_CA_PATH = "/etc/caddy/tls/origin-pull-ca.crt";

/**
 * The one capability the proxy keeps. The official caddy image marks /usr/bin/caddy with the file
 * capability `cap_net_bind_service=+ep` (caddyserver/caddy-docker #396, #466). The kernel refuses
 * to exec a binary whose file capabilities are not all in the bounding set ("exec /usr/bin/caddy:
 * operation not permitted"), so with every capability dropped the proxy never starts. Caddy does
 * not use it here (it listens on 8080/8443); it is kept only so the binary can be executed, and
 * no-new-privileges stays on (checked on a real engine: test/app/zero-downtime.docker.test.ts).
 */
export const PROXY_CAPABILITIES = ["NET_BIND_SERVICE"];

/** Network alias every web container answers to; the proxy resolves it every second. */
export const WEB_ALIAS = "web";

/** Rotated logs: Docker's default json-file driver grows without limit. */
export function logging(): { logDriver: string; logOpts: Record<string, string> } {
  return { logDriver: "local", logOpts: { "max-size": "20m", "max-file": "5" } };
}

/** No privilege gain through setuid binaries (CIS Docker 5.26). */
export const NO_NEW_PRIVILEGES = "no-new-privileges:true";

/** No capabilities except `adds`, and no privilege gain (CIS Docker 5.3, 5.26). */
export function hardening(adds: string[] = []): { securityOpts: string[]; capabilities: docker.types.input.ContainerCapabilities } {
  return { securityOpts: [NO_NEW_PRIVILEGES], capabilities: adds.length > 0 ? { drops: ["ALL"], adds } : { drops: ["ALL"] } };
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
