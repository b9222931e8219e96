import type { ResourceValidationPolicy } from "@pulumi/policy";
import { readCapabilities } from "./container-privileges";
import {
  AUTHORIZED_KEYS_STEP,
  DEPLOY_SSH_DIR,
  DEPLOY_UID_GID,
  type Props,
  STEP_LABEL,
  TYPES,
  UNKNOWN,
  normalizePath,
  quote,
  readArray,
  readBoolean,
  readRecord,
  readRole,
  readString,
  readStrings,
  validateResourceOfType,
} from "./values";

/**
 * Host paths a container may see: never the Docker socket, never the host's system directories.
 * The repository clone's host directory (/data/repos) lies outside all of them.
 */

const container = (name: string) => `container ${quote(name)}`;

const DOCKER_SOCKETS: readonly string[] = ["/var/run/docker.sock", "/run/docker.sock"];

/** Does mounting `path` expose the Docker socket (the socket itself or a directory above it)? */
export function exposesDockerSocket(path: string): boolean {
  const mounted = normalizePath(path);
  return DOCKER_SOCKETS.some((socket) => socket === mounted || socket.startsWith(mounted === "/" ? "/" : `${mounted}/`));
}

export const containerNoDockerSocket: ResourceValidationPolicy = {
  name: "container-no-docker-socket",
  description: "Containers never mount the Docker socket or a directory holding it (CIS Docker 5.32).",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(TYPES.container, (props, args, report) => {
    const sources: readonly { key: string; fields: readonly string[] }[] = [
      { key: "volumes", fields: ["hostPath", "containerPath"] },
      { key: "mounts", fields: ["source", "target"] },
    ];
    for (const { key, fields } of sources) {
      const entries = readArray(props, key);
      if (entries === UNKNOWN || entries === undefined) continue;
      entries.forEach((entry, index) => {
        // The host side exposes the socket through any directory above it; the container side only by its path.
        const [hostSide, containerSide] = fields.map((f) => readString(entry, f));
        const exposed = [
          typeof hostSide === "string" && exposesDockerSocket(hostSide) ? hostSide : undefined,
          typeof containerSide === "string" && DOCKER_SOCKETS.includes(normalizePath(containerSide)) ? containerSide : undefined,
        ].find((p) => p !== undefined);
        if (exposed === undefined) return;
        report(`${container(args.name)} exposes the Docker socket through ${key}[${index}] (${exposed}); access to it is root on the host (CIS Docker 5.32)`);
      });
    }
  }),
};

/**
 * Host directories whose contents (or anything under them, or any directory above them) give a
 * container the host: configuration and credentials (/etc, /root, /home: SSH keys, sudoers, cron),
 * the kernel's interfaces (/proc, /sys, /dev), what the host boots and executes (/boot, /usr, /bin,
 * /sbin, /lib*), cron spools, the engines' state and sockets (/var/lib/docker, /var/lib/containerd,
 * /run, /var/run). `/` is above all of them.
 */
export const SENSITIVE_HOST_PATHS: readonly string[] = [
  "/etc", "/root", "/home", "/proc", "/sys", "/dev", "/boot", "/usr", "/bin", "/sbin",
  "/lib", "/lib32", "/lib64", "/libx32", "/var/spool", "/var/lib/docker", "/var/lib/containerd", "/run", "/var/run",
];

const within = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);

/** The sensitive directory a host path is, lies in, or lies above; undefined when it is none. */
export function sensitiveHostPath(path: string): string | undefined {
  const mounted = normalizePath(path).replace(/\/{2,}/g, "/");
  if (mounted === "/") return "/";
  return SENSITIVE_HOST_PATHS.find((dir) => within(mounted, dir) || within(dir, mounted));
}

/** Host paths a container binds: volumes' hostPath, bind mounts' source, local-driver bind volumes' device. */
function hostPaths(props: Props): { where: string; path: string }[] {
  const found: { where: string; path: string }[] = [];
  const volumes = readArray(props, "volumes");
  if (volumes !== UNKNOWN && volumes !== undefined) {
    volumes.forEach((v, i) => {
      const path = readString(v, "hostPath");
      if (typeof path === "string" && path.trim() !== "") found.push({ where: `volumes[${i}]`, path });
    });
  }
  const mounts = readArray(props, "mounts");
  if (mounts !== UNKNOWN && mounts !== undefined) {
    mounts.forEach((m, i) => {
      const type = readString(m, "type");
      const source = readString(m, "source");
      if (type === "bind" && typeof source === "string") found.push({ where: `mounts[${i}]`, path: source });
      const options = readRecord(m, "volumeOptions");
      const device = options === UNKNOWN || options === undefined ? undefined : bindDevice(readRecord(options, "driverOptions"));
      if (device !== undefined) found.push({ where: `mounts[${i}].volumeOptions`, path: device });
    });
  }
  return found;
}

/** The local volume driver binds `device` when its mount options `o` include `bind`. */
function bindDevice(driverOptions: unknown): string | undefined {
  if (driverOptions === UNKNOWN || driverOptions === undefined) return undefined;
  const o = readString(driverOptions, "o");
  const device = readString(driverOptions, "device");
  if (typeof o !== "string" || typeof device !== "string") return undefined;
  return o.split(",").some((opt) => opt.trim() === "bind") ? device : undefined;
}

const SENSITIVE_DESCRIPTION = `Containers bind no sensitive host directory (${["/", ...SENSITIVE_HOST_PATHS].join(", ")}), nor anything in or above one, through volumes, bind mounts or bind-type Docker volumes (CIS Docker 5.5).`;

function sensitiveMessage(what: string, where: string, path: string, dir: string): string {
  const mounted = normalizePath(path).replace(/\/{2,}/g, "/");
  const relation = mounted === dir ? "" : within(mounted, dir) ? ` (in ${dir})` : ` (above ${dir})`;
  return `${what} binds host path ${quote(path)}${relation} through ${where}; it hands the container the host's ${dir === "/" ? "whole filesystem" : "system files"}, mount an app directory such as /data/repos instead (CIS Docker 5.5)`;
}

/** Is the container labelled as the authorized_keys step (role migrate, docstown.step authorized-keys)? */
function isKeysStep(props: Props): boolean {
  if (readRole(props) !== "migrate") return false;
  const labels = readArray(props, "labels");
  if (labels === UNKNOWN || labels === undefined) return false;
  return labels.some((l) => readString(l, "label") === STEP_LABEL && readString(l, "value") === AUTHORIZED_KEYS_STEP);
}

/**
 * The authorized_keys step may bind the deploy user's .ssh directory, that one path, only this
 * confined: as the deploy user itself (what it writes is then that user's, and it can reach no
 * other user's file), with no capability, no network, a read-only root and no privilege gain. It
 * can then replace the user's keys, which is its job, and nothing else on the host.
 */
export function isConfinedKeysStep(props: Props): boolean {
  if (!isKeysStep(props)) return false;
  const caps = readCapabilities(props);
  const opts = readStrings(props, "securityOpts");
  const noNewPrivileges = Array.isArray(opts) && opts.some((o) => /^no-new-privileges(?:[:=]true)?$/i.test(o.trim()));
  return (
    readString(props, "user") === DEPLOY_UID_GID &&
    readBoolean(props, "privileged") !== true &&
    caps !== UNKNOWN &&
    caps.length === 0 &&
    readString(props, "networkMode") === "none" &&
    readBoolean(props, "readOnly") === true &&
    noNewPrivileges
  );
}

const KEYS_STEP_CONFINEMENT = `user ${quote(DEPLOY_UID_GID)}, no capability, networkMode "none", readOnly, securityOpts "no-new-privileges:true"`;

export const containerNoSensitiveHostPaths: ResourceValidationPolicy = {
  name: "container-no-sensitive-host-paths",
  description: `${SENSITIVE_DESCRIPTION} One exception: the confined ${AUTHORIZED_KEYS_STEP} step binds ${DEPLOY_SSH_DIR} (${KEYS_STEP_CONFINEMENT}).`,
  enforcementLevel: "mandatory",
  validateResource: [
    validateResourceOfType(TYPES.container, (props, args, report) => {
      const keysStep = isKeysStep(props);
      for (const { where, path } of hostPaths(props)) {
        const dir = sensitiveHostPath(path);
        if (dir === undefined) continue;
        if (keysStep && normalizePath(path).replace(/\/{2,}/g, "/") === DEPLOY_SSH_DIR) {
          if (!isConfinedKeysStep(props)) {
            report(`${container(args.name)} (step ${AUTHORIZED_KEYS_STEP}) binds host path ${quote(path)} through ${where} without the confinement that allows it: ${KEYS_STEP_CONFINEMENT}`);
          }
          continue;
        }
        report(sensitiveMessage(container(args.name), where, path, dir));
      }
    }),
    validateResourceOfType(TYPES.dockerVolume, (props, args, report) => {
      const device = bindDevice(readRecord(props, "driverOpts"));
      const dir = device === undefined ? undefined : sensitiveHostPath(device);
      if (device !== undefined && dir !== undefined) report(sensitiveMessage(`Docker volume ${quote(args.name)}`, "driverOpts", device, dir));
    }),
  ],
};
