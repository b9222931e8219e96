import { MOUNT_UNIT } from "./cloud-init";

/**
 * What "the server is ready" means to everything that talks to Docker on it: cloud-init has
 * finished, the Docker daemon answers the deploy user, and the repos volume is mounted (so the
 * app never starts writing into an empty directory on the root disk). On success the command
 * prints the droplet's SSH host key, which pins the host for later connections.
 */

export const HOST_KEY_FILE = "/etc/ssh/ssh_host_ed25519_key.pub";

/** Seconds to wait for the mount after cloud-init is done (the attachment may land just after boot). */
export const MOUNT_WAIT_SECONDS = 120;

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'"'"'`)}'`;
}

export interface ReadinessOptions {
  /** Seconds to wait for the mount once cloud-init is done. */
  readonly mountWaitSeconds?: number;
  /** The host public key printed on success. */
  readonly hostKeyFile?: string;
}

/** The shell script the readiness command runs as `deploy` (POSIX sh, checked by shellcheck in the tests). */
export function readinessScript(mountPath: string | undefined, options: ReadinessOptions = {}): string {
  const wait = options.mountWaitSeconds ?? MOUNT_WAIT_SECONDS;
  if (!Number.isInteger(wait) || wait < 0) throw new Error(`readiness: mountWaitSeconds must be a whole number, got ${wait}`);
  const base = [
    // Exit status 2 means "done with recoverable errors" on newer cloud-init; the checks below are what matters.
    "cloud-init status --wait >/dev/null || echo 'docstown: cloud-init reported errors; see: cloud-init status --long' >&2",
    "docker info >/dev/null 2>&1 || { echo 'docstown: the Docker daemon does not answer the deploy user; see: systemctl status docker' >&2; exit 1; }",
  ];
  // A web host has no volume: ready once cloud-init is done and Docker answers.
  if (mountPath === undefined) return [...base, `cat ${shellQuote(options.hostKeyFile ?? HOST_KEY_FILE)}`, ""].join("\n");
  const mp = shellQuote(mountPath);
  return [
    ...base,
    "i=0",
    `until mountpoint -q ${mp}; do`,
    `  if [ "$i" -ge ${wait} ]; then echo ${shellQuote(`docstown: ${mountPath} is not mounted; see: journalctl -u ${MOUNT_UNIT}`)} >&2; exit 1; fi`,
    "  sleep 1",
    "  i=$((i + 1))",
    "done",
    `cat ${shellQuote(options.hostKeyFile ?? HOST_KEY_FILE)}`,
    "",
  ].join("\n");
}

/**
 * The host key (`ssh-ed25519 AAAA…`, comment dropped) from the readiness output, or undefined
 * when the output holds none (a mock run, or an image without an ed25519 host key).
 */
export function hostKeyFromOutput(stdout: string): string | undefined {
  const lines = stdout.split(/\r?\n/).map((l) => l.trim()).reverse();
  for (const line of lines) {
    const match = /^(ssh-ed25519) (AAAA[A-Za-z0-9+/]+={0,2})(?:\s|$)/.exec(line);
    if (match) return `${match[1]} ${match[2]}`;
  }
  return undefined;
}

/** A known_hosts line for `host`, or "" when the key is not known. */
export function knownHostsLine(host: string, hostKey: string | undefined): string {
  return hostKey === undefined ? "" : `${host} ${hostKey}`;
}
