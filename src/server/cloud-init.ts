import * as fs from "node:fs";
import * as path from "node:path";
import { Document, isScalar, isSeq, visit } from "yaml";
// The policy pack's definition is the contract the user-data must meet, so the program uses it.
import { volumeDevicePath } from "../../policies/user-data";
import { SNAPSHOT_UNIT, snapshotWriteFiles } from "../snapshots/units";
import { JOURNALD_DROP_IN, JOURNAL_READER_GROUP, journaldDropIn } from "./journald";

/**
 * The droplet's user-data. DigitalOcean replaces a droplet whenever its user-data changes, so this
 * stays small and changes only when the host itself must change: Docker, the deploy user, SSH
 * hardening, security upgrades, swap, and the repos volume mount. Application settings never go
 * here; they reach the containers over the Docker API.
 *
 * Everything the renderer takes is a plain string or number on purpose: user-data is readable by
 * every process on the droplet (containers included, through the metadata service) and is stored
 * in plain text in the state, so no Pulumi secret (no `Output` at all) can flow into it.
 */

export const DEPLOY_USER = "deploy";
/** The Rails image runs as uid/gid 1000; the clone it writes must be owned by it. */
export const APP_OWNER = "1000:1000";
/** Where the mount script lands on the droplet. */
export const MOUNT_SCRIPT_PATH = "/usr/local/sbin/docstown-mount-volume";
export const MOUNT_UNIT = "docstown-repos.service";
export const SSHD_DROP_IN = "/etc/ssh/sshd_config.d/01-docstown-hardening.conf";
export const SWAP_FILE = "/swapfile";
/** The colleague-owned script that mounts the volume at every boot (interface in its header). */
export const MOUNT_SCRIPT_SOURCE = path.resolve(__dirname, "mount-volume.sh");

export { volumeDevicePath };

/**
 * Docker's daemon-wide defaults. The containers set their own log options too (the policy pack
 * checks them); these are the floor for anything started by hand. `live-restore` keeps containers
 * running while dockerd itself restarts, e.g. when unattended-upgrades patches docker.io.
 */
export const DOCKER_DAEMON_CONFIG = {
  "log-driver": "local",
  "log-opts": { "max-size": "10m", "max-file": "5" },
  "live-restore": true,
} as const;

export interface CloudInitInput {
  /** OpenSSH public key lines allowed to log in as `deploy`. */
  readonly sshPublicKeys: readonly string[];
  /** DigitalOcean volume name; its device is /dev/disk/by-id/scsi-0DO_Volume_<name>. Absent on a web host: nothing is mounted. */
  readonly volumeName?: string;
  /** Where the volume is mounted (the app's /data/repos); set exactly when volumeName is. */
  readonly mountPath?: string;
  /** Swap file size in GiB; 0 = no swap file. */
  readonly swapGb: number;
  /** Contents of the mount script; default: src/server/mount-volume.sh read from disk. */
  readonly mountScript?: string;
}

/** Reads the mount script shipped with the program (it is part of the user-data, so of the droplet). */
export function readMountScript(file: string = MOUNT_SCRIPT_SOURCE): string {
  return fs.readFileSync(file, "utf8");
}

/**
 * systemd's unit name for a path (`systemd-escape --path`), for the characters a volume path can
 * hold: `/` becomes `-`; `-`, a leading `.` and anything else outside [A-Za-z0-9:_.] become `\xNN`.
 */
export function systemdEscapePath(p: string): string {
  const trimmed = p.replace(/^\/+|\/+$/g, "").replace(/\/+/g, "/");
  if (trimmed === "") return "-";
  const keep = (ch: string, i: number) => /[A-Za-z0-9:_]/.test(ch) || (ch === "." && i > 0);
  return [...trimmed]
    .map((ch, i) => (ch === "/" ? "-" : keep(ch, i) ? ch : `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`))
    .join("");
}

/**
 * The oneshot unit that mounts the volume at every boot, before Docker starts the containers
 * (their restart policy brings them back at boot). DigitalOcean mounts a volume only when it is
 * created, so a replacement droplet or a reboot depends on this. It is ordered before Docker
 * but does not make Docker require it: a missing volume leaves the mount point root-only (the
 * script's doing), so the app fails loudly while the host stays reachable for repair.
 * It is also wanted by the volume's device unit: on a new droplet the attachment is made after
 * the droplet boots, and if the device shows up only after the script gave up waiting, systemd
 * runs the unit again the moment it appears.
 */
export function mountUnit(volumeName: string, mountPath: string): string {
  return [
    "[Unit]",
    `Description=Mount the DocsTown repos volume at ${mountPath}`,
    "Before=docker.service",
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    `ExecStart=${MOUNT_SCRIPT_PATH} ${volumeDevicePath(volumeName)} ${mountPath} ${APP_OWNER}`,
    "",
    "[Install]",
    `WantedBy=multi-user.target ${systemdEscapePath(volumeDevicePath(volumeName))}.device`,
    "",
  ].join("\n");
}

/**
 * Every deploy pulls a new image and keeps the old ones for a quick rollback; without pruning they
 * fill the root disk. Images unused for 30 days go (a rollback older than that pulls again).
 */
export const PRUNE_UNIT = "docstown-image-prune";
const PRUNE_SERVICE = [
  "[Unit]",
  "Description=Remove Docker images unused for 30 days",
  "Requires=docker.service",
  "After=docker.service",
  "",
  "[Service]",
  "Type=oneshot",
  "ExecStart=/usr/bin/docker image prune --all --force --filter until=720h",
  "",
].join("\n");
const PRUNE_TIMER = ["[Unit]", "Description=Weekly Docker image prune", "", "[Timer]", "OnCalendar=weekly", "Persistent=true", "", "[Install]", "WantedBy=timers.target", ""].join("\n");

/** sshd takes the first value it reads and includes sshd_config.d/*.conf in order, so 01- wins over cloud-init's 50-. */
const SSHD_HARDENING = ["PermitRootLogin no", "PasswordAuthentication no", "KbdInteractiveAuthentication no", ""].join("\n");

const AUTO_UPGRADES = ['APT::Periodic::Update-Package-Lists "1";', 'APT::Periodic::Unattended-Upgrade "1";', ""].join("\n");

function assertPlain(input: CloudInitInput): void {
  if (input.sshPublicKeys.length === 0) throw new Error("cloud-init: at least one SSH public key is needed for the deploy user");
  for (const key of input.sshPublicKeys) {
    if (typeof key !== "string" || /[\r\n]/.test(key)) throw new Error("cloud-init: SSH public keys must be single-line strings");
  }
  if ((input.volumeName === undefined) !== (input.mountPath === undefined)) throw new Error("cloud-init: volumeName and mountPath go together");
  if (input.volumeName === undefined || input.mountPath === undefined) return;
  // Both end up unquoted in a systemd ExecStart line and in the mount script's fstab entry.
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(input.volumeName)) throw new Error(`cloud-init: invalid volume name '${input.volumeName}'`);
  if (!/^\/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$/.test(input.mountPath)) throw new Error(`cloud-init: invalid mount path '${input.mountPath}'`);
  if (!Number.isInteger(input.swapGb) || input.swapGb < 0) throw new Error(`cloud-init: swapGb must be a whole number >= 0, got ${input.swapGb}`);
}

/** The cloud-config document as data (what `renderCloudInit` serialises). */
export function cloudConfig(input: CloudInitInput): Record<string, unknown> {
  assertPlain(input);
  const volume = input.volumeName !== undefined && input.mountPath !== undefined ? { name: input.volumeName, mountPath: input.mountPath } : undefined;
  const script = volume === undefined ? undefined : (input.mountScript ?? readMountScript());
  const swap = input.swapGb > 0 ? { swap: { filename: SWAP_FILE, size: `${input.swapGb}G`, maxsize: `${input.swapGb}G` } } : {};
  return {
    // bootcmd runs before users are created: a docker group made here is a system group
    // (docker.io's postinst keeps it), so deploy gets uid/gid 1000 rather than docker taking gid 1000.
    bootcmd: [["groupadd", "--system", "--force", "docker"]],
    users: [
      {
        name: DEPLOY_USER,
        gecos: "DocsTown deploy (Docker over SSH)",
        shell: "/bin/bash",
        // systemd-journal: reads the app's logs in the journal (npm run ops -- logs), no sudo.
        groups: ["docker", JOURNAL_READER_GROUP],
        lock_passwd: true,
        ssh_authorized_keys: [...input.sshPublicKeys],
      },
    ],
    disable_root: true,
    ssh_pwauth: false,
    package_update: true,
    // jq: the volume snapshot script reads DigitalOcean's answers with it (src/snapshots/).
    packages: ["docker.io", "unattended-upgrades", ...(volume === undefined ? [] : ["jq"])],
    ...swap,
    write_files: [
      { path: SSHD_DROP_IN, owner: "root:root", permissions: "0644", content: SSHD_HARDENING },
      // Written before the package is installed, so dockerd's first start already uses it.
      { path: "/etc/docker/daemon.json", owner: "root:root", permissions: "0644", content: `${JSON.stringify(DOCKER_DAEMON_CONFIG, null, 2)}\n` },
      // A web host has no volume: no mount script, no unit, so nothing can claim /data/repos there.
      ...(volume === undefined || script === undefined
        ? []
        : [
            { path: MOUNT_SCRIPT_PATH, owner: "root:root", permissions: "0755", content: script },
            { path: `/etc/systemd/system/${MOUNT_UNIT}`, owner: "root:root", permissions: "0644", content: mountUnit(volume.name, volume.mountPath) },
            // The daily snapshot of the volume (src/snapshots/units.ts); its token arrives over SSH, never here.
            ...snapshotWriteFiles({ volumeName: volume.name, mountPath: volume.mountPath, deployUser: DEPLOY_USER }),
          ]),
      // The app's logs: persistent, 30 days, 2 GiB at most (./journald.ts).
      { path: JOURNALD_DROP_IN, owner: "root:root", permissions: "0644", content: journaldDropIn() },
      { path: `/etc/systemd/system/${PRUNE_UNIT}.service`, owner: "root:root", permissions: "0644", content: PRUNE_SERVICE },
      { path: `/etc/systemd/system/${PRUNE_UNIT}.timer`, owner: "root:root", permissions: "0644", content: PRUNE_TIMER },
      // Deferred until packages are installed, so unattended-upgrades' own setup cannot overwrite it.
      { path: "/etc/apt/apt.conf.d/20auto-upgrades", owner: "root:root", permissions: "0644", content: AUTO_UPGRADES, defer: true },
    ],
    // runcmd runs after package installation, at first boot only; the unit then runs at every boot.
    runcmd: [
      ["systemctl", "daemon-reload"],
      // journald started before write_files; later boots read the drop-in when it starts.
      ["systemctl", "restart", "systemd-journald"],
      ...(volume === undefined ? [] : [["systemctl", "enable", "--now", MOUNT_UNIT]]),
      ["systemctl", "enable", "--now", "docker.service"],
      ["systemctl", "enable", "--now", `${PRUNE_UNIT}.timer`],
      ...(volume === undefined ? [] : [["systemctl", "enable", "--now", `${SNAPSHOT_UNIT}.timer`]]),
    ],
  };
}

/** Renders the droplet user-data: a `#cloud-config` document built from data, never by string pasting. */
export function renderCloudInit(input: CloudInitInput): string {
  const doc = new Document(cloudConfig(input));
  // Command argv lists (bootcmd/runcmd items) read best on one line: `- [systemctl, enable, ...]`.
  visit(doc, {
    Seq(_key, node, ancestors) {
      const parent = ancestors[ancestors.length - 1];
      if (isSeq(parent) && node.items.every(isScalar)) node.flow = true;
    },
  });
  const body = doc.toString({ lineWidth: 0 });
  return `#cloud-config\n# DocsTown server, rendered by src/server/cloud-init.ts. Any change here replaces the droplet.\n${body}`;
}
