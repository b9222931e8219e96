import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { INSTALL_CONFIG_COMMAND } from "./units";

export interface VolumeSnapshotConfigArgs {
  /** The droplet that holds the volume: its reserved IP, reached as the deploy user. */
  readonly host: pulumi.Input<string>;
  readonly user: string;
  /** Operator private key (a secret); absent: the SSH agent, as for the readiness check. */
  readonly privateKey?: pulumi.Input<string>;
  /** A new droplet needs the config again. */
  readonly dropletId: pulumi.Input<string>;
  /** The droplet is ready (cloud-init done: the script and its sudoers line exist). */
  readonly ready: pulumi.Resource;
  readonly region: string;
  /** `docstown:volume.snapshots.keep`. */
  readonly keep: number;
  /** `docstown:volumeSnapshotToken`. */
  readonly token: pulumi.Input<string>;
}

/** The config file's lines; the token is the only secret in it. */
export function snapshotConfigLines(token: string, region: string, keep: number): string {
  return `DIGITALOCEAN_TOKEN=${token}\nREGION=${region}\nKEEP=${keep}\n`;
}

/**
 * Writes the snapshot script's config (token, region, retention) to a root-only file on the
 * droplet, over SSH, through the script's `install-config` (the one command the deploy user may
 * sudo). The token travels on stdin: not in user-data (readable by every process through the
 * metadata service, and a change would replace the droplet), not on a command line.
 *
 * What the token can do if the droplet is compromised (root, or the deploy user, who is in the
 * docker group and therefore root anyway): with block_storage_snapshot:create/read/delete and
 * block_storage:read (plus the read scopes DigitalOcean requires with them: droplet, regions,
 * sizes, actions, image), read the account's droplets and volumes, and create or delete volume
 * snapshots, this volume's and any other's. It cannot touch droplets, volumes, databases, DNS or
 * firewalls. Deleting snapshots is the damage: the clone on the volume itself is then the
 * attacker's anyway.
 */
export class VolumeSnapshotConfig extends pulumi.ComponentResource {
  readonly install: command.remote.Command;

  constructor(name: string, args: VolumeSnapshotConfigArgs, opts?: pulumi.ComponentResourceOptions) {
    super("docstown:snapshots:VolumeSnapshotConfig", name, {}, opts);
    this.install = new command.remote.Command(
      `${name}-snapshot-config`,
      {
        connection: { host: args.host, user: args.user, privateKey: args.privateKey, dialErrorLimit: 20, perDialTimeout: 30 },
        create: INSTALL_CONFIG_COMMAND,
        stdin: pulumi.secret(pulumi.output(args.token).apply((token) => snapshotConfigLines(token, args.region, args.keep))),
        triggers: [args.dropletId],
      },
      { parent: this, dependsOn: [args.ready] },
    );
    this.registerOutputs({});
  }
}
