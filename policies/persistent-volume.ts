import type { PolicyConfigSchema, PolicyResource, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { findVolumeMount, volumeDevicePath } from "./user-data";
import {
  TYPES,
  UNKNOWN,
  type Props,
  type Unknown,
  isRecord,
  isUnknownValue,
  normalizePath,
  plainProps,
  quote,
  readArray,
  readNumber,
  readRole,
  readString,
  references,
  resourcesOfType,
} from "./values";

/**
 * The repository clone at /data/repos must survive the replacement of whatever runs the app:
 * production keeps it on a protected DigitalOcean volume, attached (never through `volumeIds`),
 * mounted by the droplet's user-data at every boot and bind-mounted into web and worker; the
 * local stack keeps it in a named Docker volume mounted into web and worker.
 *
 * Scaled out (docstown:web.count 2+), one droplet holds the volume and runs the worker; web
 * droplets have none. A droplet without a volume is accepted only beside one that has it, and
 * nothing running there may mount the path (it would be the root disk). A container's droplet is
 * the one its labels depend on (`docstown.host`, the droplet id); with one droplet, that one.
 */

export interface PersistentVolumeConfig {
  mountPath: string;
  minVolumeSizeGb: number;
}

export const DEFAULT_MOUNT_PATH = "/data/repos";
export const DEFAULT_MIN_VOLUME_SIZE_GB = 10;

export const persistentVolumeConfigSchema: PolicyConfigSchema = {
  properties: {
    mountPath: {
      type: "string",
      pattern: "^/[^\\s]*[^/\\s]$",
      default: DEFAULT_MOUNT_PATH,
      description: "Where the repository clone lives, on the host and inside web and worker.",
    },
    minVolumeSizeGb: {
      type: "integer",
      minimum: 1,
      default: DEFAULT_MIN_VOLUME_SIZE_GB,
      description: "Smallest acceptable size of the repos volume, in GB.",
    },
  },
};

/** Reads the policy's config (engine-filled defaults, or ours when the engine sent none). */
export function readPersistentVolumeConfig(config: object): PersistentVolumeConfig {
  const raw: Props = isRecord(config) ? config : {};
  const mountPath = raw["mountPath"] ?? DEFAULT_MOUNT_PATH;
  const minVolumeSizeGb = raw["minVolumeSizeGb"] ?? DEFAULT_MIN_VOLUME_SIZE_GB;
  if (typeof mountPath !== "string" || !/^\/\S*$/.test(mountPath) || normalizePath(mountPath) === "/") {
    throw new Error(`persistent-volume-presence: mountPath must be an absolute path other than "/", got ${JSON.stringify(mountPath)}`);
  }
  if (typeof minVolumeSizeGb !== "number" || !Number.isInteger(minVolumeSizeGb) || minVolumeSizeGb < 1) {
    throw new Error(`persistent-volume-presence: minVolumeSizeGb must be a whole number of at least 1, got ${JSON.stringify(minVolumeSizeGb)}`);
  }
  return { mountPath: normalizePath(mountPath), minVolumeSizeGb };
}

interface Check {
  config: PersistentVolumeConfig;
  resources: readonly PolicyResource[];
  report: ReportViolation;
}

const props = (r: PolicyResource): Props => plainProps(r.props);

function appContainers(resources: readonly PolicyResource[]): PolicyResource[] {
  return resourcesOfType(resources, TYPES.container).filter((c) => readRole(props(c)) !== undefined);
}

/** Containers of `role`; `UNKNOWN` if there are none but some container's role cannot be read. */
function containersWithRole(resources: readonly PolicyResource[], role: string): PolicyResource[] | Unknown {
  const containers = appContainers(resources);
  const matching = containers.filter((c) => readRole(props(c)) === role);
  if (matching.length > 0) return matching;
  return containers.some((c) => readRole(props(c)) === UNKNOWN) ? UNKNOWN : [];
}

// ---------------------------------------------------------------------------------------------
// Production: droplet + DigitalOcean volume + attachment + user-data mount + bind mounts.

function attachmentsOf(droplet: PolicyResource, resources: readonly PolicyResource[]): PolicyResource[] | Unknown {
  const links = resourcesOfType(resources, TYPES.volumeAttachment).map((a) => ({ a, link: references(a, "dropletId", droplet) }));
  const attached = links.filter((l) => l.link === true).map((l) => l.a);
  if (attached.length === 0 && links.some((l) => l.link === UNKNOWN)) return UNKNOWN;
  return attached;
}

function volumeOf(attachment: PolicyResource, resources: readonly PolicyResource[]): PolicyResource | Unknown | undefined {
  const links = resourcesOfType(resources, TYPES.volume).map((v) => ({ v, link: references(attachment, "volumeId", v) }));
  const found = links.find((l) => l.link === true);
  if (found) return found.v;
  return links.some((l) => l.link === UNKNOWN) ? UNKNOWN : undefined;
}

function checkDropletVolumeIds(droplet: PolicyResource, { report }: Check): void {
  const volumeIds = readArray(props(droplet), "volumeIds");
  if (volumeIds === UNKNOWN || volumeIds === undefined || volumeIds.length === 0) return;
  report(
    `droplet ${quote(droplet.name)} sets volumeIds; attach the repos volume only through a VolumeAttachment, ` +
      "or the droplet cannot be replaced while the volume stays",
    droplet.urn,
  );
}

function checkVolume(volume: PolicyResource, { config, report }: Check): void {
  const name = quote(volume.name);
  if (!volume.opts.protect) {
    report(`volume ${name} is not protected (opts.protect); deleting it would destroy the clone at ${config.mountPath}`, volume.urn);
  }
  const fsType = readString(props(volume), "initialFilesystemType");
  // A volume made from a snapshot (a restore) has the snapshot's filesystem: nothing to format.
  const fromSnapshot = readString(props(volume), "snapshotId");
  const restored = fromSnapshot !== undefined && fromSnapshot !== "" && fsType === undefined;
  if (fsType !== UNKNOWN && fsType !== "ext4" && !restored) {
    const got = fsType === undefined ? "no initialFilesystemType" : `initialFilesystemType ${quote(fsType)}`;
    report(`volume ${name} has ${got}; it must be "ext4"`, volume.urn);
  }
  const size = readNumber(props(volume), "size");
  if (size === UNKNOWN) return;
  if (size === undefined || size < config.minVolumeSizeGb) {
    const got = size === undefined ? "no size" : `size ${size} GB`;
    report(`volume ${name} has ${got}; it must be at least ${config.minVolumeSizeGb} GB`, volume.urn);
  }
}

function checkUserDataMount(droplet: PolicyResource, volume: PolicyResource, { config, report }: Check): void {
  const userData = readString(props(droplet), "userData");
  if (userData === UNKNOWN) return;
  const volumeName = readString(props(volume), "name");
  const knownName = volumeName === UNKNOWN ? undefined : volumeName;
  const device = volumeDevicePath(knownName ?? "<volume name>");
  const what = `volume ${quote(volume.name)} (${device}) at ${config.mountPath}`;
  if (userData === undefined || userData.trim() === "") {
    report(`droplet ${quote(droplet.name)} has no userData; nothing mounts ${what} at boot`, droplet.urn);
    return;
  }
  const state = findVolumeMount(userData, knownName, config.mountPath);
  if (state === "not-mounted") {
    report(
      `droplet ${quote(droplet.name)} userData does not mount ${what}; DigitalOcean mounts a volume only when it is created, ` +
        `so after a reboot or replacement ${config.mountPath} would be on the root disk`,
      droplet.urn,
    );
  } else if (state === "mounted-without-nofail") {
    report(
      `droplet ${quote(droplet.name)} userData mounts ${what} without the nofail option; a missing volume would stop the droplet from booting`,
      droplet.urn,
    );
  }
}

function checkDroplet(droplet: PolicyResource, check: Check, volumeHostElsewhere: boolean): void {
  const { config, report, resources } = check;
  checkDropletVolumeIds(droplet, check);
  const attachments = attachmentsOf(droplet, resources);
  if (attachments === UNKNOWN) return;
  // A web host: the clone lives on the volume host's droplet (its containers are checked below).
  if (attachments.length === 0 && volumeHostElsewhere) return;
  if (attachments.length === 0) {
    report(
      `droplet ${quote(droplet.name)} has no VolumeAttachment; ${config.mountPath} would live on the droplet's root disk and be lost on replacement`,
      droplet.urn,
    );
    return;
  }
  if (attachments.length > 1) {
    const names = attachments.map((a) => quote(a.name)).join(", ");
    report(`droplet ${quote(droplet.name)} has ${attachments.length} VolumeAttachments (${names}); exactly one repos volume must be attached`, droplet.urn);
    return;
  }
  const [attachment] = attachments;
  if (attachment === undefined) return;
  const volume = volumeOf(attachment, resources);
  if (volume === UNKNOWN) return;
  if (volume === undefined) {
    report(
      `VolumeAttachment ${quote(attachment.name)} of droplet ${quote(droplet.name)} attaches no DigitalOcean Volume declared in this stack; ` +
        `${config.mountPath} needs its own protected Volume resource`,
      attachment.urn,
    );
    return;
  }
  checkVolume(volume, check);
  checkUserDataMount(droplet, volume, check);
}

/** Does a production container bind-mount the host's mount path at the same path? */
function bindMountsHostPath(container: PolicyResource, mountPath: string): boolean | Unknown {
  const p = props(container);
  let sawUnknown = false;
  const same = (value: string | Unknown | undefined): boolean | Unknown =>
    value === UNKNOWN ? UNKNOWN : value !== undefined && normalizePath(value) === mountPath;
  for (const key of ["volumes", "mounts"] as const) {
    const entries = readArray(p, key);
    if (entries === UNKNOWN) {
      sawUnknown = true;
      continue;
    }
    for (const entry of entries ?? []) {
      if (isUnknownValue(entry)) {
        sawUnknown = true;
        continue;
      }
      const results =
        key === "volumes"
          ? [same(readString(entry, "hostPath")), same(readString(entry, "containerPath"))]
          : [same(readString(entry, "source")), same(readString(entry, "target")), readString(entry, "type") === "bind"];
      if (results.every((r) => r === true)) return true;
      if (results.some((r) => r === UNKNOWN) && !results.some((r) => r === false)) sawUnknown = true;
    }
  }
  return sawUnknown ? UNKNOWN : false;
}

function checkRoleContainers(check: Check, mountsIt: (c: PolicyResource) => void): void {
  const { config, report, resources } = check;
  for (const role of ["web", "worker"]) {
    const containers = containersWithRole(resources, role);
    if (containers === UNKNOWN) continue;
    if (containers.length === 0) {
      report(`the stack has no container labelled docstown.role=${role}, so nothing uses ${config.mountPath} for the ${role} role`);
      continue;
    }
    containers.forEach(mountsIt);
  }
}

/** The droplet a container runs on: the only one, or the one its labels depend on. */
function hostOf(container: PolicyResource, droplets: readonly PolicyResource[]): PolicyResource | Unknown {
  if (droplets.length === 1) return droplets[0] as PolicyResource;
  const deps = container.propertyDependencies["labels"] ?? [];
  const hosts = droplets.filter((d) => deps.some((r) => r.urn === d.urn));
  return hosts.length === 1 ? (hosts[0] as PolicyResource) : UNKNOWN;
}

function checkProductionContainers(check: Check, droplets: readonly PolicyResource[], volumeHosts: ReadonlySet<string>): void {
  const { config, report } = check;
  checkRoleContainers(check, (container) => {
    const host = hostOf(container, droplets);
    const role = String(readRole(props(container)));
    // With no volume host at all the droplets are reported above; the mount checks below still apply.
    if (host !== UNKNOWN && volumeHosts.size > 0 && !volumeHosts.has(host.urn)) {
      if (role === "worker") {
        report(`container ${quote(container.name)} (role worker) runs on droplet ${quote(host.name)}, which has no repos volume; the worker writes the clone and must run where the volume is`, container.urn);
      } else if (bindMountsHostPath(container, config.mountPath) === true) {
        report(
          `container ${quote(container.name)} (role ${role}) mounts ${config.mountPath} on droplet ${quote(host.name)}, which has no repos volume; ` +
            "it would read an empty directory on the root disk (set docstown:web.readsClone false only once no web request reads the clone)",
          container.urn,
        );
      }
      return;
    }
    if (bindMountsHostPath(container, config.mountPath) !== false) return;
    report(
      `container ${quote(container.name)} (role ${String(readRole(props(container)))}) does not mount the host directory ${config.mountPath} ` +
        `at ${config.mountPath}; the clone would live in the container's writable layer and be lost on replacement`,
      container.urn,
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Local stack: a named docker:index/volume:Volume mounted into web and worker.

type LocalMount = { kind: "volume"; volume: PolicyResource } | { kind: "undeclared"; name: string } | { kind: "none" };

function dockerVolumeNamed(name: string, container: PolicyResource, volumes: readonly PolicyResource[]): PolicyResource | undefined {
  const byName = volumes.find((v) => readString(props(v), "name") === name);
  if (byName) return byName;
  // The volume's name may be unknown (generated); accept a volume the `volumes` input depends on.
  const deps = container.propertyDependencies["volumes"] ?? container.propertyDependencies["mounts"] ?? [];
  return volumes.find((v) => readString(props(v), "name") === UNKNOWN && deps.some((d) => d.urn === v.urn));
}

function localMountOf(container: PolicyResource, volumes: readonly PolicyResource[], mountPath: string): LocalMount | Unknown {
  const p = props(container);
  let sawUnknown = false;
  for (const [key, nameKey, pathKey] of [["volumes", "volumeName", "containerPath"], ["mounts", "source", "target"]] as const) {
    const entries = readArray(p, key);
    if (entries === UNKNOWN) {
      sawUnknown = true;
      continue;
    }
    for (const entry of entries ?? []) {
      const path = readString(entry, pathKey);
      const name = readString(entry, nameKey);
      if (isUnknownValue(entry) || path === UNKNOWN) {
        sawUnknown = true;
        continue;
      }
      if (path === undefined || normalizePath(path) !== mountPath) continue;
      if (key === "mounts" && readString(entry, "type") !== "volume") continue;
      if (name === UNKNOWN) {
        const deps = container.propertyDependencies[key] ?? [];
        const volume = volumes.find((v) => deps.some((d) => d.urn === v.urn));
        if (volume) return { kind: "volume", volume };
        sawUnknown = true;
        continue;
      }
      if (name === undefined || name === "") continue;
      const volume = dockerVolumeNamed(name, container, volumes);
      return volume ? { kind: "volume", volume } : { kind: "undeclared", name };
    }
  }
  return sawUnknown ? UNKNOWN : { kind: "none" };
}

function checkLocal(check: Check): void {
  const { config, report, resources } = check;
  const volumes = resourcesOfType(resources, TYPES.dockerVolume);
  if (volumes.length === 0) {
    report(
      `the stack has no droplet and no docker:index/volume:Volume; ${config.mountPath} would live in the containers' writable layers and be lost on replacement`,
    );
    return;
  }
  const used = new Map<string, PolicyResource>();
  // The role split rehearsed on one engine: a web container created through another provider than
  // every worker's is a web host's, which has no clone (docstown:web.count 2+).
  const workerProviders = new Set(resourcesOfType(resources, TYPES.container).filter((c) => readRole(props(c)) === "worker").map((c) => c.provider?.urn));
  checkRoleContainers(check, (container) => {
    const mount = localMountOf(container, volumes, config.mountPath);
    if (mount === UNKNOWN) return;
    const role = readRole(props(container));
    if (role === "web" && mount.kind === "none" && workerProviders.size > 0 && !workerProviders.has(container.provider?.urn)) return;
    const who = `container ${quote(container.name)} (role ${String(role)})`;
    if (mount.kind === "volume") {
      used.set(mount.volume.urn, mount.volume);
    } else if (mount.kind === "undeclared") {
      report(
        `${who} mounts docker volume ${quote(mount.name)} at ${config.mountPath}, but no docker:index/volume:Volume of that name is declared in this stack`,
        container.urn,
      );
    } else {
      report(
        `${who} does not mount a named docker volume at ${config.mountPath}; the clone would live in the container's writable layer and be lost on replacement`,
        container.urn,
      );
    }
  });
  if (used.size > 1) {
    const names = [...used.values()].map((v) => quote(v.name)).join(", ");
    report(`web and worker mount different docker volumes at ${config.mountPath} (${names}); they must share one`);
  }
}

export const persistentVolumePresence: StackValidationPolicy = {
  name: "persistent-volume-presence",
  description:
    "The repository clone lives on persistent storage that survives replacement: a protected, attached and " +
    "mounted DigitalOcean volume in production, a named Docker volume locally, mounted into web and worker.",
  enforcementLevel: "mandatory",
  configSchema: persistentVolumeConfigSchema,
  validateStack: (args, report) => {
    const config = readPersistentVolumeConfig(args.getConfig<object>());
    const check: Check = { config, resources: args.resources, report };
    const droplets = resourcesOfType(args.resources, TYPES.droplet);
    if (droplets.length === 0 && appContainers(args.resources).length === 0) {
      report(
        `the stack has no droplet and no DocsTown container (label docstown.role); nothing holds ${config.mountPath} on persistent storage`,
      );
      return;
    }
    if (droplets.length === 0) {
      checkLocal(check);
      return;
    }
    const volumeHosts = new Set(droplets.filter((d) => { const a = attachmentsOf(d, args.resources); return a === UNKNOWN || a.length > 0; }).map((d) => d.urn));
    droplets.forEach((droplet) => checkDroplet(droplet, check, [...volumeHosts].some((urn) => urn !== droplet.urn)));
    checkProductionContainers(check, droplets, volumeHosts);
  },
};
