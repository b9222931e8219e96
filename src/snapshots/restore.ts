/**
 * Restoring the repos volume from a snapshot (`docstown:volume.restoreFromSnapshot`). Plain data in,
 * plain data out. A restore makes a NEW volume (DigitalOcean's `snapshot_id` forces replacement,
 * and the current volume must survive a bad restore): it gets its own name, derived from the
 * snapshot so that it is stable across runs, and the attachment and the mount move to it.
 */

/** What this module reads of `docstown:volume`. */
export interface RestoreVolumeSettings {
  readonly name: string;
  readonly sizeGb: number;
  readonly restoreFromSnapshot?: string | undefined;
}

/** `<name>-r<first 8 hex of the snapshot id>`, within DigitalOcean's 64 characters. */
export function restoredVolumeName(name: string, snapshotId: string): string {
  const suffix = `-r${snapshotId.slice(0, 8)}`;
  return `${name.slice(0, 63 - suffix.length)}${suffix}`;
}

/** The volume attached and mounted at the mount path: the restored one when a restore is configured. */
export function activeVolumeName(settings: RestoreVolumeSettings): string {
  return settings.restoreFromSnapshot === undefined ? settings.name : restoredVolumeName(settings.name, settings.restoreFromSnapshot);
}

/** A snapshot as DigitalOcean's API returns it (GET /v2/snapshots/{id}), the fields the check reads. */
export interface SnapshotFacts {
  readonly id: string;
  readonly name: string;
  readonly resource_type: string;
  readonly resource_id: string;
  readonly regions: readonly string[];
  readonly min_disk_size: number;
  readonly created_at: string;
}

const KEY = "docstown:volume.restoreFromSnapshot";

/**
 * Why the configured snapshot cannot be restored, or undefined when it can. `ownVolumeIds` are the
 * ids of the volumes this stack's clone has lived on (the configured volume, and the restored one).
 */
export function restoreRefusal(input: {
  readonly snapshotId: string;
  readonly snapshot: SnapshotFacts | undefined;
  readonly ownVolumeIds: readonly string[];
  readonly volumeName: string;
  readonly region: string;
  readonly sizeGb: number;
}): string | undefined {
  const { snapshot, snapshotId } = input;
  if (snapshot === undefined) return `${KEY}: no snapshot ${snapshotId} in this DigitalOcean account (doctl compute snapshot list --resource volume)`;
  if (snapshot.resource_type !== "volume") return `${KEY}: ${snapshotId} (${snapshot.name}) is a ${snapshot.resource_type} snapshot, not a volume snapshot`;
  if (!input.ownVolumeIds.includes(snapshot.resource_id)) {
    return `${KEY}: snapshot ${snapshotId} (${snapshot.name}) was taken of volume ${snapshot.resource_id}, not of ${input.volumeName} (${input.ownVolumeIds.join(", ") || "not found"}); restore only this stack's repos volume`;
  }
  if (!snapshot.regions.includes(input.region)) return `${KEY}: snapshot ${snapshotId} is in ${snapshot.regions.join(", ")}, not in ${input.region}`;
  if (snapshot.min_disk_size > input.sizeGb) {
    return `${KEY}: snapshot ${snapshotId} needs a volume of at least ${snapshot.min_disk_size} GB; docstown:volume.sizeGb is ${input.sizeGb}`;
  }
  return undefined;
}
