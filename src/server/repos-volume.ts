import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { VolumeSettings } from "../config/schema";
import { activeVolumeName } from "../snapshots/restore";
import { volumeDevicePath } from "./cloud-init";

/**
 * ext4 labels hold at most 16 bytes. The label is fixed rather than derived from the volume name:
 * the provider replaces a volume when its initial label changes, and this volume outlives droplets.
 */
export const REPOS_FS_LABEL = "docstown-repos";

export interface ReposVolumeArgs {
  /** Name, size and mount path (`docstown:volume`). */
  readonly settings: VolumeSettings;
  /** Region slug; the volume must live where the droplet does. */
  readonly region: string;
  readonly tags: readonly string[];
  /** The droplet to attach to (the provider wants the numeric id). */
  readonly dropletId: pulumi.Input<number>;
}

/**
 * The block-storage volume that holds the repository clones, and its attachment. The volume is
 * protected and never listed in the droplet's `volumeIds`: it is attached through its own
 * resource, so a droplet replacement detaches and re-attaches it instead of touching it.
 */
export class ReposVolume extends pulumi.ComponentResource {
  /**
   * The configured volume (`volume.name`); detached, and kept, while a restore is configured, until
   * `volume.keepOriginal: false` (undefined then).
   */
  readonly volume: digitalocean.Volume | undefined;
  /** The volume made from `volume.restoreFromSnapshot`, attached and mounted instead. */
  readonly restored: digitalocean.Volume | undefined;
  readonly attachment: digitalocean.VolumeAttachment;
  readonly volumeId: pulumi.Output<string>;
  readonly volumeName: pulumi.Output<string>;
  /** Where cloud-init mounts it on the droplet (`docstown:volume.mountPath`). */
  readonly mountPath: string;
  /** /dev/disk/by-id/scsi-0DO_Volume_<name> on the droplet. */
  readonly devicePath: string;

  constructor(name: string, args: ReposVolumeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("docstown:server:ReposVolume", name, {}, opts);
    const { settings } = args;

    const keep = settings.restoreFromSnapshot === undefined || settings.keepOriginal;
    this.volume = !keep ? undefined : new digitalocean.Volume(
      `${name}-volume`,
      {
        name: settings.name,
        region: args.region,
        size: settings.sizeGb,
        initialFilesystemType: "ext4",
        initialFilesystemLabel: REPOS_FS_LABEL,
        tags: [...args.tags],
      },
      // Renaming or moving it would replace it with an empty one: make that a deliberate act.
      { parent: this, protect: true },
    );

    // A restore is a new volume beside the configured one (snapshotId forces replacement, and a bad
    // restore must leave the current clone alone): its own name and URN, protected like the first;
    // the first stays declared and protected, detached, until the operator removes it.
    const snapshotId = settings.restoreFromSnapshot;
    this.restored =
      snapshotId === undefined
        ? undefined
        : new digitalocean.Volume(
            `${name}-volume-r${snapshotId.slice(0, 8)}`,
            {
              name: activeVolumeName(settings),
              region: args.region,
              size: settings.sizeGb,
              snapshotId,
              tags: [...args.tags],
            },
            { parent: this, protect: true },
          );
    const active = this.restored ?? this.volume;
    if (active === undefined) throw new Error("ReposVolume: neither the configured nor a restored volume is declared");

    this.attachment = new digitalocean.VolumeAttachment(
      `${name}-attachment`,
      { dropletId: args.dropletId, volumeId: active.id },
      { parent: this },
    );

    this.volumeId = active.id;
    this.volumeName = active.name;
    this.mountPath = settings.mountPath;
    this.devicePath = volumeDevicePath(activeVolumeName(settings));

    this.registerOutputs({ volumeId: this.volumeId, volumeName: this.volumeName, attachmentId: this.attachment.id });
  }
}
