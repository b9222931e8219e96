import { findVolumeId, listVolumeSnapshots, type DoApi } from "../snapshots/do-api";
import { SNAPSHOT_MAX_AGE_HOURS } from "../snapshots/units";
import { describeError, fail, pass, skip, withDeadline, type CheckResult } from "./check";

export interface SnapshotCheckSettings {
  /** The volume the droplet mounts (the restored one while a restore is configured). */
  readonly volumeName: string;
  readonly region: string;
  /** Fail when the newest automatic snapshot is older; default SNAPSHOT_MAX_AGE_HOURS. */
  readonly maxAgeHours?: number;
}

const ID = "volume-snapshot-age";
const NAME = "Repos volume snapshot";

/** The droplet's timer names its snapshots docstown-auto-<volume>-<yyyymmdd>-<hhmmss> (src/snapshots/volume-snapshot.sh). */
export function isAutomaticSnapshot(volumeName: string, snapshotName: string): boolean {
  return new RegExp(`^docstown-auto-${volumeName}-\\d{8}-\\d{6}$`).test(snapshotName);
}

/**
 * How old the newest automatic snapshot of the repos volume is. The timer runs daily (03:30 UTC,
 * up to 30 min later), so past 26 hours at least one run failed or did not happen.
 */
export async function checkSnapshotAge(api: DoApi | undefined, settings: SnapshotCheckSettings | undefined, timeoutMs: number, now = new Date()): Promise<CheckResult> {
  if (settings === undefined) return skip(ID, NAME, "no volume to check (use --stack <name>)");
  if (api === undefined) return skip(ID, NAME, "DIGITALOCEAN_TOKEN is not set (a token with block_storage:read and block_storage_snapshot:read suffices)");
  const bound = settings.maxAgeHours ?? SNAPSHOT_MAX_AGE_HOURS;
  try {
    const id = await withDeadline(findVolumeId(api, settings.volumeName, settings.region), timeoutMs, "volume lookup");
    if (id === undefined) return fail(ID, NAME, `no volume ${settings.volumeName} in ${settings.region}`);
    const snapshots = await withDeadline(listVolumeSnapshots(api, id), timeoutMs, "snapshot list");
    const ours = snapshots.filter((s) => isAutomaticSnapshot(settings.volumeName, s.name)).sort((a, b) => b.created_at.localeCompare(a.created_at));
    const newest = ours[0];
    if (newest === undefined) return fail(ID, NAME, `volume ${settings.volumeName} has no automatic snapshot (is docstown-volume-snapshot.timer running on the droplet?)`);
    const hours = (now.getTime() - Date.parse(newest.created_at)) / 3_600_000;
    const what = `newest of ${ours.length}, ${newest.name}, is ${hours.toFixed(1)} h old (bound ${bound} h)`;
    return hours <= bound ? pass(ID, NAME, what) : fail(ID, NAME, `${what}; see journalctl -u docstown-volume-snapshot on the droplet`);
  } catch (error) {
    return fail(ID, NAME, describeError(error));
  }
}
