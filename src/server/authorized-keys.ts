import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { AUTHORIZED_KEYS_STEP, DEPLOY_SSH_DIR, DEPLOY_UID_GID, STEP_LABEL } from "../../policies/values";
import { REPLACE_ON_CHANGES, hardening, oneShotStep, roleLabels } from "../app/containers";
import { dockerSshOptions } from "../app/docker-host";
import { pinImage } from "../app/image";
import { outputTail } from "../app/migration";
import { sshKeyFingerprint } from "../config/ssh-fingerprint";

export { AUTHORIZED_KEYS_STEP, DEPLOY_SSH_DIR, DEPLOY_UID_GID };

/**
 * The deploy user's authorized_keys on the running droplet, from `docstown:operators.sshPublicKeys`,
 * so operators come and go without a new droplet (the droplet's user-data only holds the bootstrap
 * keys it was created with, and never changes with this list).
 *
 * A one-shot container on the droplet's Docker engine, over the SSH path every deploy uses, binds
 * /home/deploy/.ssh and nothing else, runs as the deploy user itself (uid:gid 1000:1000, as the
 * user-data makes it: docker is a system group), with no capability, no network and a read-only
 * root. It writes the new list beside the old file, mode 0600, and renames it over authorized_keys:
 * sshd reads either the old file or the new one, never a half-written one. What sshd's StrictModes
 * wants holds by construction: the file belongs to the user and only it can read or write it, and
 * the directory cloud-init made (deploy's, 0700) is not touched. The script refuses, before the
 * rename, a list without the deploy key (its key data, whole, as a line's second field); the config
 * validation already refused that (src/config/operator-keys.ts): this is the last line on the host.
 */

/** Where the step sees the deploy user's .ssh directory. */
export const KEYS_MOUNT = "/deploy-ssh";

/** The file's content: one line per distinct key (the same key with two comments, once), in the configured order. */
export function authorizedKeysFile(keys: readonly string[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const key of keys) {
    const line = key.trim();
    if (/[\r\n]/.test(line) || line === "") throw new Error("authorized_keys: each key must be one non-empty line");
    const fingerprint = sshKeyFingerprint(line);
    if (seen.has(fingerprint)) continue;
    seen.add(fingerprint);
    lines.push(line);
  }
  return ["# Written by pulumi up from docstown:operators.sshPublicKeys; edits here are overwritten.", ...lines, ""].join("\n");
}

/** The key data (second field) of the key whose fingerprint is `fingerprint`, which must be in `keys`. */
export function deployKeyData(keys: readonly string[], fingerprint: string): string {
  const line = keys.find((k) => sshKeyFingerprint(k) === fingerprint);
  if (line === undefined) throw new Error(`authorized_keys: no key with fingerprint ${fingerprint} (operators.deployKey) in the list; it would lock the deploy out`);
  return line.trim().split(/\s+/)[1] as string;
}

/** The step's environment: public keys only, nothing secret (names free of KEY: policies/secret-env.ts). */
export const LIST_ENV = "AUTHORIZED_LINES";
export const DEPLOY_ENV = "DEPLOY_IDENTITY";

/**
 * The step's program (`sh -c`), reading the file's content from AUTHORIZED_LINES and the deploy
 * key's data from DEPLOY_IDENTITY. `dir` is where the .ssh directory is mounted.
 */
export function authorizedKeysScript(dir: string = KEYS_MOUNT): string {
  if (!/^\/[A-Za-z0-9._/-]+$/.test(dir)) throw new Error(`authorized_keys: not a plain absolute path: ${dir}`);
  return [
    "set -eu",
    "umask 077",
    `new="${dir}/.authorized_keys.new.$$"`,
    `trap 'rm -f "$new"' EXIT`,
    `printf "%s" "$${LIST_ENV}" > "$new"`,
    // The deploy key's data must be the second field of a line, whole (awk: no regex on base64).
    `awk -v k="$${DEPLOY_ENV}" '$2 == k { found = 1 } END { exit !found }' "$new" || { echo "refused: the deploy key is not in the new list; authorized_keys unchanged" >&2; exit 3; }`,
    'chmod 600 "$new"',
    `mv -f "$new" "${dir}/authorized_keys"`,
    "trap - EXIT",
    `echo "authorized_keys: $(grep -c '^[a-z]' "${dir}/authorized_keys") key(s)"`,
  ].join("\n");
}

export interface AuthorizedKeysInputs {
  /** An image (id) with a POSIX sh, printf, awk, grep, chmod and mv. */
  readonly image: pulumi.Input<string>;
  /** `docstown:operators.sshPublicKeys`. */
  readonly keys: readonly string[];
  /** `docstown:operators.deployKey`: the fingerprint of the key the deploy connects with. */
  readonly deployKey: string;
  /** Labels beyond the role and step (the Docker host's identity). */
  readonly extraLabels: Readonly<Record<string, pulumi.Input<string>>>;
  /** The deploy user's .ssh directory on the host; default /home/deploy/.ssh (the only one the policy pack allows). */
  readonly sshDir?: string;
}

/** The container: everything a user relies on (confinement, the one mount, the list) is here. */
export function authorizedKeysContainerArgs(i: AuthorizedKeysInputs): docker.ContainerArgs {
  return {
    image: i.image,
    command: ["sh", "-c", authorizedKeysScript()],
    envs: [`${LIST_ENV}=${authorizedKeysFile(i.keys)}`, `${DEPLOY_ENV}=${deployKeyData(i.keys, i.deployKey)}`],
    // The deploy user's own uid:gid: what it writes is deploy's, as StrictModes requires.
    user: DEPLOY_UID_GID,
    ...hardening(),
    ...oneShotStep(),
    // Its few lines (the key count, or why it refused) are shown when it fails.
    logs: true,
    volumes: [{ hostPath: i.sshDir ?? DEPLOY_SSH_DIR, containerPath: KEYS_MOUNT }],
    labels: roleLabels("migrate", { [STEP_LABEL]: AUTHORIZED_KEYS_STEP, ...i.extraLabels }),
  };
}

/** Why the step failed the up, or undefined when it exited 0 (the provider never checks: ../app/migration.ts). */
export function keysStepFailure(exitCode: number | undefined, container: string, output: string | undefined): string | undefined {
  if (exitCode === 0) return undefined;
  const what = exitCode === undefined ? "reported no exit code" : `exited with code ${exitCode}`;
  return (
    `the authorized_keys update in container ${container} ${what}; the deploy user's authorized_keys is unchanged (the new ` +
    `list only ever replaces it by a final rename). Read its output with: docker logs ${container} (on the droplet)` +
    outputTail(output)
  );
}

/** The droplet, as the Server component describes it once it is ready. */
export interface KeysHost {
  /** `ssh://deploy@<ip>`, unknown until the droplet is ready. */
  readonly dockerHost: pulumi.Input<string>;
  /** The droplet's pinned host key as a known_hosts line ("" when not read). */
  readonly knownHostsLine: pulumi.Input<string>;
  /** The readiness step; nothing talks to the droplet's Docker before it. */
  readonly ready: pulumi.Resource;
  /** The droplet id: a replaced droplet gets the image and the step again. */
  readonly dropletId: pulumi.Input<string>;
}

export interface AuthorizedKeysArgs {
  readonly host: KeysHost;
  /**
   * Image reference pinned by digest with a busybox or coreutils userland (`docstown:app.proxyImage`:
   * the official caddy image is Alpine). Not the app image: a release would then re-run the step,
   * and an image id kept across releases would be missing on a replaced droplet.
   */
  readonly image: string;
  /** `docstown:operators.sshPublicKeys`. */
  readonly keys: readonly string[];
  /** `docstown:operators.deployKey`. */
  readonly deployKey: string;
  /** "registry" (production): pull the pinned reference; "daemon": an image already on the Docker host. */
  readonly imageSource?: "registry" | "daemon";
  /** See AuthorizedKeysInputs.sshDir. */
  readonly sshDir?: string;
}

/**
 * The step as a component, with its own Docker provider over the deploy SSH path (no registry
 * login: the image is public) and its own pull of the pinned image (kept locally, like every pull).
 * A changed list replaces the container, which runs again; a release changes nothing here. A
 * non-zero exit fails the up with the step's own output (`applied`).
 */
export class AuthorizedKeys extends pulumi.ComponentResource {
  readonly container: docker.Container;
  /** The container name, known once the step exited 0. */
  readonly applied: pulumi.Output<string>;

  constructor(name: string, args: AuthorizedKeysArgs, opts?: pulumi.ComponentResourceOptions) {
    super("docstown:server:AuthorizedKeys", name, {}, opts);
    const provider = new docker.Provider(
      `${name}-docker`,
      { host: args.host.dockerHost, sshOpts: pulumi.output(args.host.knownHostsLine).apply(dockerSshOptions) },
      { parent: this, dependsOn: [args.host.ready] },
    );
    const image = pinImage(`${name}-keys-image`, { reference: args.image, source: args.imageSource ?? "registry", provider, host: args.host.dropletId, after: [args.host.ready] }, this);
    this.container = new docker.Container(
      `${name}-${AUTHORIZED_KEYS_STEP}`,
      authorizedKeysContainerArgs({
        image: image.imageId, keys: args.keys, deployKey: args.deployKey, extraLabels: { "docstown.host": args.host.dropletId },
        ...(args.sshDir !== undefined ? { sshDir: args.sshDir } : {}),
      }),
      { parent: this, provider, replaceOnChanges: REPLACE_ON_CHANGES, dependsOn: [image.image] },
    );
    const c = this.container;
    this.applied = pulumi.all([c.exitCode, c.name, c.containerLogs]).apply(([code, containerName, output]) => {
      const failure = keysStepFailure(code, containerName, output);
      if (failure !== undefined) throw new pulumi.RunError(failure);
      return containerName;
    });
    this.registerOutputs({ applied: this.applied });
  }
}
