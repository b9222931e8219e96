import type { ResourceValidationPolicy } from "@pulumi/policy";
import {
  ROLES,
  ROLE_LABEL,
  TYPES,
  UNKNOWN,
  isRole,
  isUnknownValue,
  quote,
  readBoolean,
  readNumber,
  readRecord,
  readRole,
  readString,
  readStrings,
  validateResourceOfType,
} from "./values";

/**
 * Docker containers (CIS Docker Benchmark), applied to every container of the stack: identity,
 * image, namespaces, lifecycle and limits. Privileges are in container-privileges.ts, host paths in
 * container-host-paths.ts.
 */

const container = (name: string) => `container ${quote(name)}`;

export const containerRoleLabel: ResourceValidationPolicy = {
  name: "container-role-label",
  description: `Every container carries the label ${ROLE_LABEL} (${ROLES.join(", ")}), which the other policies rely on.`,
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(TYPES.container, (props, args, report) => {
    const role = readRole(props);
    if (role === UNKNOWN || isRole(role)) return;
    if (role === undefined) {
      report(`${container(args.name)} has no ${ROLE_LABEL} label; label it with one of ${ROLES.join(", ")}`);
      return;
    }
    report(`${container(args.name)} has ${ROLE_LABEL} label ${quote(role)}; expected one of ${ROLES.join(", ")}`);
  }),
};

const DIGEST_REFERENCE = /^[^\s@]+@sha256:[0-9a-f]{64}$/;
const IMAGE_ID = /^sha256:[0-9a-f]{64}$/;

export function isPinnedImage(image: string): boolean {
  return DIGEST_REFERENCE.test(image) || IMAGE_ID.test(image);
}

export const containerImageDigest: ResourceValidationPolicy = {
  name: "container-image-digest",
  description: "Container images are pinned by digest (<repo>@sha256:<64 hex> or an image id sha256:<64 hex>).",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(TYPES.container, (props, args, report) => {
    const image = readString(props, "image");
    if (image === UNKNOWN || (image !== undefined && isPinnedImage(image))) return;
    if (image === undefined) {
      report(`${container(args.name)} has no image`);
      return;
    }
    report(`${container(args.name)} image ${quote(image)} is not pinned by digest; use <repo>@sha256:<64 hex> so a moved tag cannot change what runs`);
  }),
};

const HOST_NAMESPACES: readonly { key: string; namespace: string }[] = [
  { key: "networkMode", namespace: "network" },
  { key: "pidMode", namespace: "process" },
  { key: "ipcMode", namespace: "IPC" },
  { key: "usernsMode", namespace: "user" },
  { key: "cgroupnsMode", namespace: "cgroup" },
];

export const containerNoHostNamespaces: ResourceValidationPolicy = {
  name: "container-no-host-namespaces",
  description: "Containers do not share the host's network, process, IPC, user or cgroup namespace (CIS Docker 5.10-5.21, 5.30).",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(TYPES.container, (props, args, report) => {
    for (const { key, namespace } of HOST_NAMESPACES) {
      const mode = readString(props, key);
      if (mode === UNKNOWN || mode?.toLowerCase() !== "host") continue;
      report(`${container(args.name)} sets ${key} "host"; it must not share the host's ${namespace} namespace`);
    }
  }),
};

/** Restart policies that would start a one-shot container again after it finished. */
const RERUNNING_POLICIES = new Set(["always", "unless-stopped"]);

export const containerRestartPolicy: ResourceValidationPolicy = {
  name: "container-restart-policy",
  description:
    'Long-running containers have a restart policy other than "no"; the one-shot migrate container must not be ' +
    'restarted after it finished ("always"/"unless-stopped").',
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(TYPES.container, (props, args, report) => {
    const restart = readString(props, "restart");
    const role = readRole(props);
    if (restart === UNKNOWN || role === UNKNOWN) return;
    if (role === "migrate") {
      if (restart === undefined || !RERUNNING_POLICIES.has(restart)) return;
      report(`${container(args.name)} (role migrate) has restart ${quote(restart)}; a one-shot migration must not run again after it exits`);
      return;
    }
    if (restart !== undefined && restart !== "" && restart !== "no") return;
    const got = restart === undefined || restart === "" ? "has no restart policy" : 'has restart "no"';
    report(`${container(args.name)} ${got}; set restart to "unless-stopped" or "always" so it comes back after a crash or reboot`);
  }),
};

export const containerLogRotation: ResourceValidationPolicy = {
  name: "container-log-rotation",
  description: 'Container logs are bounded: logDriver "local", "journald" (the host journal\'s own size limit), or "json-file" with max-size and max-file in logOpts.',
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(TYPES.container, (props, args, report) => {
    const driver = readString(props, "logDriver");
    // journald: the journal is capped as a whole by the host (SystemMaxUse, set by cloud-init).
    if (driver === UNKNOWN || driver === "local" || driver === "journald") return;
    if (driver !== undefined && driver !== "json-file") {
      report(`${container(args.name)} uses log driver ${quote(driver)}; use "local", "journald", or "json-file" with max-size and max-file`);
      return;
    }
    const opts = readRecord(props, "logOpts");
    if (opts === UNKNOWN) return;
    const missing = ["max-size", "max-file"].filter((k) => {
      const value = opts?.[k];
      return !isUnknownValue(value) && (typeof value !== "string" || value.trim() === "");
    });
    if (missing.length === 0) return;
    const which = driver === undefined ? "the default json-file log driver" : "the json-file log driver";
    report(`${container(args.name)} uses ${which} without ${missing.join(" and ")} in logOpts; its logs would grow without limit`);
  }),
};

export const containerMemoryLimit: ResourceValidationPolicy = {
  name: "container-memory-limit",
  description: "Every container has a memory limit (memory > 0, in MB).",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(TYPES.container, (props, args, report) => {
    const memory = readNumber(props, "memory");
    if (memory === UNKNOWN || (memory !== undefined && memory > 0)) return;
    report(`${container(args.name)} has no memory limit; set memory (MB) so one container cannot exhaust the host`);
  }),
};

export const containerWebHealthcheck: ResourceValidationPolicy = {
  name: "container-web-healthcheck",
  description: "The web container has a health check (healthcheck.tests), which zero-downtime replacement relies on (CIS Docker 5.27).",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(TYPES.container, (props, args, report) => {
    if (readRole(props) !== "web") return;
    const healthcheck = readRecord(props, "healthcheck");
    if (healthcheck === UNKNOWN) return;
    const tests = readStrings(healthcheck, "tests");
    if (tests === UNKNOWN) return;
    const first = tests?.[0];
    if (first !== undefined && first.toUpperCase() !== "NONE") return;
    report(`${container(args.name)} (role web) has no healthcheck; traffic must only reach it once GET /up answers`);
  }),
};

export const containerReadOnlyRootfs: ResourceValidationPolicy = {
  name: "container-read-only-rootfs",
  description: "Containers run with a read-only root filesystem (CIS Docker 5.12).",
  enforcementLevel: "advisory",
  validateResource: validateResourceOfType(TYPES.container, (props, args, report) => {
    const readOnly = readBoolean(props, "readOnly");
    if (readOnly === UNKNOWN || readOnly === true) return;
    report(`${container(args.name)} has a writable root filesystem; set readOnly and mount the paths it writes (CIS Docker 5.12)`);
  }),
};

export const containerNoNewPrivileges: ResourceValidationPolicy = {
  name: "container-no-new-privileges",
  description: 'Containers set securityOpts "no-new-privileges:true" (CIS Docker 5.26).',
  enforcementLevel: "advisory",
  validateResource: validateResourceOfType(TYPES.container, (props, args, report) => {
    const opts = readStrings(props, "securityOpts");
    if (opts === UNKNOWN) return;
    const set = (opts ?? []).some((o) => /^no-new-privileges(?:[:=]true)?$/i.test(o.trim()));
    if (set) return;
    report(`${container(args.name)} does not set securityOpts "no-new-privileges:true"; a setuid binary could gain privileges (CIS Docker 5.26)`);
  }),
};
