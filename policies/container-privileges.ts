import type { ResourceValidationPolicy } from "@pulumi/policy";
import {
  OWNER_STEPS,
  type Props,
  type Read,
  STEP_LABEL,
  type Unknown,
  TYPES,
  UNKNOWN,
  isUnknownValue,
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
 * What a container may do to the host beyond its own files: kernel capabilities, the root user,
 * and the security profiles Docker applies (CIS Docker Benchmark 4.1, 5.3, 5.5, 5.21, 5.22).
 * Each role gets only what the program gives it on purpose:
 * - proxy: CAP_NET_BIND_SERVICE, because the official caddy image's binary carries that file
 *   capability and the kernel refuses to exec it when the bounding set lacks it;
 * - the owner steps (role migrate, label docstown.step=repos-owner or proxy-data-owner): CAP_CHOWN
 *   and root, to hand a fresh root-owned Docker volume to the app's or Caddy's uid, under the
 *   conditions of `isConfinedOwnerStep`;
 * - everything else: no capability, a non-root user.
 * Capabilities are compared in the daemon's read-back form (`CAP_CHOWN`), whatever the spelling.
 */

const container = (name: string) => `container ${quote(name)}`;

/** moby's oci/caps DefaultCapabilities: what a container holds when nothing is dropped. */
export const DOCKER_DEFAULT_CAPABILITIES: readonly string[] = [
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
  "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
];

function labelValue(props: Props, name: string): Read<string> {
  const labels = readArray(props, "labels");
  if (labels === UNKNOWN || labels === undefined) return labels;
  const entry = labels.find((l) => readString(l, "label") === name);
  return entry === undefined ? undefined : readString(entry, "value");
}

/** The owner step a container is (role migrate, a docstown.step of OWNER_STEPS), or undefined. */
export function ownerStep(props: Props): string | undefined {
  if (readRole(props) !== "migrate") return undefined;
  const step = labelValue(props, STEP_LABEL);
  return typeof step === "string" && (OWNER_STEPS as readonly string[]).includes(step) ? step : undefined;
}

/** Capabilities each container may end up with, beyond none. */
export function allowedCapabilities(props: Props): readonly string[] {
  if (ownerStep(props) !== undefined) return ["CAP_CHOWN"];
  if (readRole(props) === "proxy") return ["CAP_NET_BIND_SERVICE"];
  return [];
}

/** Docker's spelling rules: case-insensitive, `CAP_` optional, `ALL` special; the result is the read-back form. */
export function normalizeCapability(cap: string): string {
  const upper = cap.trim().toUpperCase();
  if (upper === "ALL" || upper.startsWith("CAP_")) return upper;
  return `CAP_${upper}`;
}

/**
 * The capabilities a container ends up with, as moby's caps.TweakCapabilities computes them
 * (privileged aside, which container-not-privileged refuses): `ALL` added -> everything minus the
 * drops (reported as "ALL"); `ALL` dropped -> exactly the adds; otherwise Docker's defaults minus
 * the drops plus the adds.
 */
export function effectiveCapabilities(adds: readonly string[], drops: readonly string[]): string[] {
  const add = adds.map(normalizeCapability);
  const drop = drops.map(normalizeCapability);
  if (add.includes("ALL")) return ["ALL"];
  if (drop.includes("ALL")) return [...new Set(add)];
  const kept = DOCKER_DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c));
  return [...new Set([...kept, ...add])];
}

/** A container's effective capabilities, or UNKNOWN when an input they depend on is unknown. */
export function readCapabilities(props: Props): string[] | Unknown {
  const caps = readRecord(props, "capabilities");
  if (caps === UNKNOWN) return UNKNOWN;
  const adds = readStrings(caps, "adds");
  const drops = readStrings(caps, "drops");
  if (adds === UNKNOWN || drops === UNKNOWN) return UNKNOWN;
  return effectiveCapabilities(adds ?? [], drops ?? []);
}

export const containerCapabilities: ResourceValidationPolicy = {
  name: "container-capabilities",
  description:
    "Containers drop every kernel capability and add back only their role's (proxy: CAP_NET_BIND_SERVICE; " +
    "the owner steps: CAP_CHOWN; others: none) (CIS Docker 5.3).",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(TYPES.container, (props, args, report) => {
    if (readRole(props) === UNKNOWN || labelValue(props, STEP_LABEL) === UNKNOWN) return;
    const effective = readCapabilities(props);
    if (effective === UNKNOWN) return;
    const allowed = allowedCapabilities(props);
    const extra = effective.filter((c) => !allowed.includes(c));
    if (extra.length === 0) return;
    const which = extra.includes("ALL") ? "every capability" : `capabilities ${extra.join(", ")}`;
    const may = allowed.length === 0 ? "none" : allowed.join(", ");
    report(`${container(args.name)} holds ${which}; set capabilities.drops ["ALL"] and add back only what its role needs (${may}) (CIS Docker 5.3)`);
  }),
};

/** `root`, `0`, `root:root`, `0:0`, `root:1000`, `00` ... run as uid 0; an empty user is the image's, often root. */
export function isRootUser(user: string): boolean {
  const uid = user.split(":")[0]?.trim() ?? "";
  return uid === "" || uid === "root" || (/^[+-]?\d+$/.test(uid) && Number(uid) === 0);
}

/**
 * An owner step may run as root only this confined: not privileged, no capability but CHOWN, no
 * network, a read-only root filesystem, no privilege gain. It can then take any file inside its
 * mounts (that is its job: give the fresh volume to the app's or Caddy's uid) and nothing outside
 * them; which host paths it may mount is container-no-sensitive-host-paths' concern. Any other
 * root container, or such a step with more, is refused: the label alone opens nothing.
 */
export function isConfinedOwnerStep(props: Props): boolean {
  if (ownerStep(props) === undefined) return false;
  const caps = readCapabilities(props);
  const opts = readStrings(props, "securityOpts");
  const noNewPrivileges = Array.isArray(opts) && opts.some((o) => /^no-new-privileges(?:[:=]true)?$/i.test(o.trim()));
  return (
    readBoolean(props, "privileged") !== true &&
    caps !== UNKNOWN &&
    caps.every((c) => c === "CAP_CHOWN") &&
    readString(props, "networkMode") === "none" &&
    readBoolean(props, "readOnly") === true &&
    noNewPrivileges
  );
}

export const containerNonRoot: ResourceValidationPolicy = {
  name: "container-non-root",
  description:
    `Containers set a non-root user (CIS Docker 4.1); only the owner steps (${OWNER_STEPS.join(", ")}) run as root, ` +
    "with CAP_CHOWN alone, no network and a read-only root filesystem.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(TYPES.container, (props, args, report) => {
    const user = readString(props, "user");
    if (user === UNKNOWN) return;
    if (user === undefined || user.trim() === "") {
      report(`${container(args.name)} sets no user, so it runs as the image's user (often root); set a non-root uid such as "1000" (CIS Docker 4.1)`);
      return;
    }
    if (!isRootUser(user)) return;
    const step = ownerStep(props);
    if (step !== undefined) {
      if (isConfinedOwnerStep(props)) return;
      report(
        `${container(args.name)} (step ${step}) runs as root (user ${quote(user)}) without the confinement that allows it: ` +
          'capabilities only CAP_CHOWN, networkMode "none", readOnly, securityOpts "no-new-privileges:true"',
      );
      return;
    }
    report(`${container(args.name)} runs as root (user ${quote(user)}); set a non-root uid such as "1000" (CIS Docker 4.1)`);
  }),
};

export const containerNotPrivileged: ResourceValidationPolicy = {
  name: "container-not-privileged",
  description: "Containers never run privileged (CIS Docker 5.5).",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(TYPES.container, (props, args, report) => {
    if (readBoolean(props, "privileged") !== true) return;
    report(`${container(args.name)} runs privileged; a privileged container controls the host (CIS Docker 5.5)`);
  }),
};

/**
 * Security options that switch off a confinement, in moby's parsing (daemon parseSecurityOpt):
 * `key=value`, or the legacy `key:value`; a bare `disable` is `label=disable`.
 */
export function unconfiningSecurityOpt(opt: string): string | undefined {
  const trimmed = opt.trim().toLowerCase();
  if (trimmed === "disable") return "SELinux confinement off";
  const [key = "", value = ""] = trimmed.includes("=") ? trimmed.split(/=(.*)/s) : trimmed.split(/:(.*)/s);
  if (key === "seccomp" && value === "unconfined") return "no seccomp profile";
  if (key === "apparmor" && value === "unconfined") return "no AppArmor profile";
  if (key === "label" && (value === "disable" || /^type:(spc_t|unconfined_t)$/.test(value))) return "SELinux confinement off";
  if (key === "systempaths" && value === "unconfined") return "/proc and /sys paths unmasked";
  if (key === "writable-cgroups" && value === "true") return "cgroups writable";
  return undefined;
}

export const containerSecurityOptions: ResourceValidationPolicy = {
  name: "container-security-options",
  description:
    "Containers keep Docker's seccomp, AppArmor and SELinux confinement and masked system paths " +
    "(no seccomp=unconfined, apparmor=unconfined, label=disable, systempaths=unconfined) (CIS Docker 5.1, 5.2, 5.21).",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(TYPES.container, (props, args, report) => {
    const opts = readArray(props, "securityOpts");
    if (opts === UNKNOWN || opts === undefined) return;
    for (const opt of opts) {
      if (typeof opt !== "string" || isUnknownValue(opt)) continue;
      const what = unconfiningSecurityOpt(opt);
      if (what === undefined) continue;
      report(`${container(args.name)} sets securityOpts ${quote(opt)} (${what}); remove it, a breakout then needs one kernel bug less`);
    }
  }),
};

export const containerNoHostDevices: ResourceValidationPolicy = {
  name: "container-no-host-devices",
  description: "Containers get no host device (devices, deviceCgroupRules, deviceRequests, gpus) (CIS Docker 5.17).",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(TYPES.container, (props, args, report) => {
    const devices = readArray(props, "devices");
    if (devices !== UNKNOWN && devices !== undefined) {
      devices.forEach((device, index) => {
        const path = readString(device, "hostPath");
        const shown = typeof path === "string" ? ` (${path})` : "";
        report(`${container(args.name)} is given host device devices[${index}]${shown}; a device node reaches the host's hardware and kernel below the container (CIS Docker 5.17)`);
      });
    }
    for (const key of ["deviceCgroupRules", "deviceRequests"]) {
      const list = readArray(props, key);
      if (list === UNKNOWN || list === undefined || list.length === 0) continue;
      report(`${container(args.name)} sets ${key}; it opens host devices to the container (CIS Docker 5.17)`);
    }
    const gpus = readString(props, "gpus");
    if (typeof gpus === "string" && gpus.trim() !== "") report(`${container(args.name)} sets gpus ${quote(gpus)}; it opens host devices to the container (CIS Docker 5.17)`);
  }),
};
