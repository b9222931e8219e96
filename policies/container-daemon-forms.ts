import type { ResourceValidationPolicy } from "@pulumi/policy";
import { normalizeCapability } from "./container-privileges";
import { TYPES, UNKNOWN, quote, readArray, readRecord, readString, readStrings, validateResourceOfType } from "./values";

/**
 * Container inputs the Docker daemon handles differently from how they read: each passed the mocks
 * and failed only through the real plugin and a real daemon (issue 18).
 * - A `user` of the form `uid:gid` (or `name:group`) together with `uploads` fails the create: for
 *   an upload with an owner the provider copies with CopyUIDGID, and the daemon then looks the whole
 *   string up as one entry of the host's passwd database (`getent unable to find entry
 *   "65534:65534" in passwd database`; moby #34142, #49213). Refused for any upload: an owner is
 *   one field away.
 * - Capabilities come back from a refresh as `CAP_` + upper case, so any other spelling is a
 *   difference the provider answers by replacing the container on the next `up`.
 * - A `mounts` entry with `volumeOptions` (even `noCopy` alone) fails the create on a daemon older
 *   than API 1.45 (Docker 26): kreuzwerker's provider then refuses every volume option with
 *   "Setting VolumeOptions.Subpath requires docker version 1.45 or higher" (seen with Docker 20.10).
 */

const container = (name: string) => `container ${quote(name)}`;

/** A user with a group part: `65534:65534`, `rails:rails`, `1000:0`. */
export function hasGroupPart(user: string): boolean {
  return user.includes(":");
}

export const containerUploadUser: ResourceValidationPolicy = {
  name: "container-upload-user",
  description:
    'Containers with uploads set `user` as a bare uid (no ":group"): the Docker daemon cannot resolve a uid:gid user ' +
    "for uploads and fails the create (moby #34142).",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(TYPES.container, (props, args, report) => {
    const user = readString(props, "user");
    const uploads = readArray(props, "uploads");
    if (user === UNKNOWN || user === undefined || !hasGroupPart(user)) return;
    if (uploads === UNKNOWN || uploads === undefined || uploads.length === 0) return;
    const uid = user.split(":")[0]?.trim() ?? "";
    report(
      `${container(args.name)} sets user ${quote(user)} together with uploads; the Docker daemon cannot resolve a user with a group part ` +
        `for uploads and the create fails (moby #34142). Use a bare uid${uid !== "" ? ` such as ${quote(uid)}` : ""} ` +
        "that the image's /etc/passwd maps to a non-zero group",
    );
  }),
};

/** Is this capability name in the form the daemon reads back (`CAP_CHOWN`, or `ALL`)? */
export function isReadBackCapability(name: string): boolean {
  return name === "ALL" || /^CAP_[A-Z0-9_]+$/.test(name);
}

export const containerCapabilityNames: ResourceValidationPolicy = {
  name: "container-capability-names",
  description:
    "Container capabilities.adds and drops are written as the Docker daemon reads them back (CAP_ prefix, upper case; " +
    "ALL as is), so a refresh does not make the next up replace the container.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(TYPES.container, (props, args, report) => {
    const caps = readRecord(props, "capabilities");
    if (caps === UNKNOWN || caps === undefined) return;
    for (const key of ["adds", "drops"]) {
      const names = readStrings(caps, key);
      if (names === UNKNOWN || names === undefined) continue;
      const wrong = names.filter((n) => !isReadBackCapability(n));
      if (wrong.length === 0) continue;
      report(
        `${container(args.name)} capabilities.${key} has ${wrong.map(quote).join(", ")}, which the Docker daemon reads back as ` +
          `${wrong.map((n) => quote(normalizeCapability(n))).join(", ")}, so every up after a refresh replaces the container; ` +
          'write them in that form (CAP_ prefix, upper case; "ALL" as is)',
      );
    }
  }),
};

export const containerVolumeOptions: ResourceValidationPolicy = {
  name: "container-volume-options",
  description:
    "Container mounts set no volumeOptions: the Docker plugin refuses every volume option on daemons older than API 1.45 " +
    "(Docker 26), so the create fails there; mount a named volume with `volumes` instead.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(TYPES.container, (props, args, report) => {
    const mounts = readArray(props, "mounts");
    if (mounts === UNKNOWN || mounts === undefined) return;
    const targets = mounts.filter((m) => readRecord(m, "volumeOptions") !== undefined).map((m) => readString(m, "target"));
    if (targets.length === 0) return;
    report(
      `${container(args.name)} mounts ${targets.map((t) => (typeof t === "string" ? quote(t) : "a volume")).join(", ")} with volumeOptions; ` +
        "the Docker plugin refuses any volume option on a daemon older than API 1.45 (Docker 26) and the create fails: " +
        "use `volumes` (volumeName, containerPath) at a path the image does not have, so nothing is copied up",
    );
  }),
};
