import * as fs from "node:fs";
import * as path from "node:path";

/**
 * What cloud-init installs on the droplet that holds the repos volume for its daily snapshot:
 * the script, a oneshot service, a daily timer, and one sudoers line that lets the deploy user
 * hand the script its config (the token) on stdin. The snapshot runs on the droplet because the
 * freeze must: a local timer freezes and thaws without any remote access, and systemd thaws
 * (ExecStopPost) however the run ends. The cost is a DigitalOcean token on the droplet, root-only
 * and never in user-data (./config.ts says what it can do).
 *
 * Only plain strings go in here: all of it is user-data, readable on the droplet and in state.
 */

export const SNAPSHOT_SCRIPT_PATH = "/usr/local/sbin/docstown-volume-snapshot";
export const SNAPSHOT_UNIT = "docstown-volume-snapshot";
/** Root-only; written by `install-config` from what `pulumi up` sends over SSH. */
export const SNAPSHOT_CONFIG_FILE = "/etc/docstown/volume-snapshot.env";
export const SNAPSHOT_SUDOERS_PATH = "/etc/sudoers.d/docstown-volume-snapshot";
export const SNAPSHOT_SCRIPT_SOURCE = path.resolve(__dirname, "volume-snapshot.sh");
/** What the deploy user runs (and may run, exactly this) to install the config. */
export const INSTALL_CONFIG_COMMAND = `sudo -n ${SNAPSHOT_SCRIPT_PATH} install-config`;

/**
 * When it runs: daily at 03:30 UTC, spread over 30 minutes, caught up after downtime
 * (Persistent). The newest snapshot is therefore at most ~24.5 h old while all is well.
 */
export const SNAPSHOT_CALENDAR = "*-*-* 03:30:00 UTC";
export const SNAPSHOT_RANDOM_DELAY = "30min";
/** `npm run verify` fails when the newest automatic snapshot is older (one missed run). */
export const SNAPSHOT_MAX_AGE_HOURS = 26;
/** The longest the filesystem stays frozen, whatever happens to the run (the script's watchdog). */
export const FREEZE_MAX_SECONDS = 60;

/**
 * The token's custom scopes (docs/restore-repos-volume.md): the script reads the volume by name,
 * creates, lists and deletes its snapshots. DigitalOcean adds the read scopes these require.
 */
export const SNAPSHOT_TOKEN_SCOPES = ["block_storage_snapshot:create", "block_storage_snapshot:read", "block_storage_snapshot:delete", "block_storage:read"] as const;

export function readSnapshotScript(file: string = SNAPSHOT_SCRIPT_SOURCE): string {
  return fs.readFileSync(file, "utf8");
}

export function snapshotService(volumeName: string, mountPath: string): string {
  return [
    "[Unit]",
    `Description=Snapshot the DocsTown repos volume ${volumeName} (freeze ${mountPath}, snapshot, keep the newest)`,
    "Wants=network-online.target",
    "After=network-online.target docstown-repos.service",
    "",
    "[Service]",
    "Type=oneshot",
    `Environment=FREEZE_MAX_SECONDS=${FREEZE_MAX_SECONDS}`,
    `ExecStart=${SNAPSHOT_SCRIPT_PATH} run ${volumeName} ${mountPath}`,
    // Runs however ExecStart ended (failure, timeout, SIGKILL): a frozen filesystem would stop the app.
    `ExecStopPost=${SNAPSHOT_SCRIPT_PATH} thaw ${mountPath}`,
    "TimeoutStartSec=15min",
    "",
  ].join("\n");
}

export const SNAPSHOT_TIMER = [
  "[Unit]",
  "Description=Daily snapshot of the DocsTown repos volume",
  "",
  "[Timer]",
  `OnCalendar=${SNAPSHOT_CALENDAR}`,
  `RandomizedDelaySec=${SNAPSHOT_RANDOM_DELAY}`,
  "Persistent=true",
  "",
  "[Install]",
  "WantedBy=timers.target",
  "",
].join("\n");

/** Exactly one command with exactly this argument: sudo refuses any other argument list. */
export function snapshotSudoers(deployUser: string): string {
  return `${deployUser} ALL=(root) NOPASSWD: ${SNAPSHOT_SCRIPT_PATH} install-config\n`;
}

export interface WriteFile {
  path: string;
  owner: string;
  permissions: string;
  content: string;
}

/** cloud-init `write_files` entries for a droplet that holds the repos volume. */
export function snapshotWriteFiles(input: { volumeName: string; mountPath: string; deployUser: string; script?: string }): WriteFile[] {
  return [
    { path: SNAPSHOT_SCRIPT_PATH, owner: "root:root", permissions: "0755", content: input.script ?? readSnapshotScript() },
    { path: `/etc/systemd/system/${SNAPSHOT_UNIT}.service`, owner: "root:root", permissions: "0644", content: snapshotService(input.volumeName, input.mountPath) },
    { path: `/etc/systemd/system/${SNAPSHOT_UNIT}.timer`, owner: "root:root", permissions: "0644", content: SNAPSHOT_TIMER },
    { path: SNAPSHOT_SUDOERS_PATH, owner: "root:root", permissions: "0440", content: snapshotSudoers(input.deployUser) },
  ];
}
