import { createHash } from "node:crypto";
import * as cloudflare from "@pulumi/cloudflare";
import * as command from "@pulumi/command";
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { ProductionSettings, VolumeSettings } from "../config/schema";
import { bootstrapKeys } from "../config/operator-keys";
import { DEPLOY_USER, renderCloudInit } from "./cloud-init";
import { inboundRules, normalizeCidrs, outboundRules } from "./firewall";
import { hostKeyFromOutput, knownHostsLine, readinessScript } from "./readiness";
import { ReposVolume } from "./repos-volume";
import { activeVolumeName } from "../snapshots/restore";

export interface ServerArgs {
  /** Prefix of the cloud-side names (droplet, VPC, tag, keys), e.g. `docstown-production`. */
  readonly namePrefix: string;
  /** Region slug (`docstown:region`). */
  readonly region: string;
  /** Size, image, swap and IPv6 (`docstown:droplet`). Plain values: they shape the user-data. */
  readonly droplet: ProductionSettings["droplet"];
  /** The repos volume (`docstown:volume`). */
  readonly volume: VolumeSettings;
  /** Operators' public keys (the deploy user's and the droplet's) and the networks allowed on SSH. */
  readonly operators: Pick<ProductionSettings["operators"], "bootstrapSshPublicKeys" | "sshCidrs">;
  /** Networks allowed on 80/443; default: Cloudflare's published ranges, read at deploy time. */
  readonly httpSourceCidrs?: readonly string[];
  /** Tags for the droplet and the volume. */
  readonly tags: readonly string[];
  /**
   * Private key (a Pulumi secret) of an operator key, for the readiness check. Absent: the SSH
   * agent named by SSH_AUTH_SOCK on the machine that runs `pulumi up`.
   */
  readonly deployPrivateKey?: pulumi.Input<string>;
}

/** Stable per key, whatever the order of the configured list. */
function keySuffix(publicKey: string): string {
  const [type, body] = publicKey.split(/\s+/);
  return createHash("sha256").update(`${type} ${body}`).digest("hex").slice(0, 8);
}

/**
 * The production host: a droplet in its own VPC behind a cloud firewall, a reserved IP that
 * outlives it, the repos volume, and a readiness step that later components wait for before they
 * talk to Docker on it.
 */
export class Server extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly droplet: digitalocean.Droplet;
  readonly dropletId: pulumi.Output<string>;
  /** The reserved IP: what DNS points at and what SSH/Docker connect to. */
  readonly publicIp: pulumi.Output<string>;
  readonly privateIp: pulumi.Output<string>;
  readonly volumeId: pulumi.Output<string>;
  readonly volumeName: pulumi.Output<string>;
  /** Where the repos volume is mounted on the host (and in the containers). */
  readonly mountPath: string;
  readonly sshCommand: pulumi.Output<string>;
  /** Succeeds once cloud-init is done, Docker answers and the volume is mounted. */
  readonly ready: command.remote.Command;
  /** `ssh://deploy@<ip>`, known only after `ready` ran, so a first preview leaves it unknown. */
  readonly dockerHost: pulumi.Output<string>;
  /** The droplet's ed25519 SSH host key, read by the readiness check once per droplet ("" when not read). */
  readonly hostKey: pulumi.Output<string>;
  /** `<ip> ssh-ed25519 AAAA…` for a known_hosts file ("" when the key was not read). */
  readonly knownHostsLine: pulumi.Output<string>;
  /** The DigitalOcean SSH keys the droplet was created with (web hosts get the same). */
  readonly sshKeyFingerprints: pulumi.Output<string>[];

  constructor(name: string, args: ServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("docstown:server:Server", name, {}, opts);
    const prefix = args.namePrefix;

    const vpc = new digitalocean.Vpc(
      `${name}-vpc`,
      { name: `${prefix}-${args.region}`, region: args.region, description: "DocsTown droplet and managed PostgreSQL" },
      { parent: this },
    );

    // One DigitalOcean key per distinct key (the same key listed twice, e.g. with two comments, once).
    // The bootstrap keys, not the live list: a droplet is created with them and keeps them, while
    // operators.sshPublicKeys reaches its authorized_keys in place (src/server/authorized-keys.ts).
    const bootstrap = bootstrapKeys(args.operators);
    const distinctKeys = new Map(bootstrap.map((k) => [keySuffix(k), k] as const));
    const sshKeys = [...distinctKeys].map(
      ([suffix, publicKey]) => new digitalocean.SshKey(`${name}-ssh-key-${suffix}`, { name: `${prefix}-${suffix}`, publicKey }, { parent: this }),
    );

    // The firewall follows a tag, not droplet ids: a droplet carries the tag from its first boot,
    // so a replacement droplet is never reachable unfiltered while the firewall catches up.
    const firewallTag = new digitalocean.Tag(`${name}-server-tag`, { name: `${prefix}-server` }, { parent: this });

    const userData = renderCloudInit({
      sshPublicKeys: bootstrap,
      volumeName: activeVolumeName(args.volume), // the restored volume's, while a restore is configured
      mountPath: args.volume.mountPath,
      swapGb: args.droplet.swapGb,
    });

    this.droplet = new digitalocean.Droplet(
      `${name}-droplet`,
      {
        name: `${prefix}-server`,
        region: args.region,
        image: args.droplet.image,
        size: args.droplet.size,
        vpcUuid: vpc.id,
        ipv6: args.droplet.ipv6,
        monitoring: true,
        sshKeys: sshKeys.map((k) => k.fingerprint),
        tags: [...args.tags, firewallTag.name],
        userData,
      },
      // The volume can be attached to one droplet only: the old one must go before the new one
      // can take it over (pulumi-digitalocean #158).
      { parent: this, deleteBeforeReplace: true },
    );
    const dropletNumber = this.droplet.id.apply((id) => Number(id));

    const firewall = new digitalocean.Firewall(
      `${name}-firewall`,
      {
        name: `${prefix}-server`,
        tags: [firewallTag.name],
        inboundRules: this.httpSources(args.httpSourceCidrs).apply((httpCidrs) =>
          inboundRules({ sshCidrs: args.operators.sshCidrs, httpCidrs }),
        ),
        outboundRules: outboundRules(),
      },
      { parent: this },
    );

    const repos = new ReposVolume(
      `${name}-repos`,
      { settings: args.volume, region: args.region, tags: args.tags, dropletId: dropletNumber },
      { parent: this },
    );

    // After the attachment: both are actions on the droplet, and DigitalOcean refuses one while
    // another is pending (422 "Droplet already has a pending event."). terraform-provider-
    // digitalocean's attachment retries that for 5 minutes and waits for its action to finish;
    // the assignment calls Assign once. Run together on a first up, the assignment could fail.
    const reservedIp = new digitalocean.ReservedIp(`${name}-ip`, { region: args.region }, { parent: this });
    const ipAssignment = new digitalocean.ReservedIpAssignment(
      `${name}-ip-assignment`,
      { ipAddress: reservedIp.ipAddress, dropletId: dropletNumber },
      { parent: this, dependsOn: [repos.attachment] },
    );

    this.ready = new command.remote.Command(
      `${name}-ready`,
      {
        connection: {
          host: reservedIp.ipAddress,
          user: DEPLOY_USER,
          // Without a key the provider uses the agent at SSH_AUTH_SOCK. The socket path is not set
          // here on purpose: it differs per login, and a changed connection re-runs the command.
          privateKey: args.deployPrivateKey,
          // A first boot takes minutes before sshd and the deploy user exist. The provider backs off
          // from 0.1 s to 5 s between dials, so 100 refused dials are ~8 minutes (the default 10, ~10 s).
          dialErrorLimit: 100,
          perDialTimeout: 30,
        },
        create: readinessScript(args.volume.mountPath),
        // A new droplet (or a new attachment) must be checked again.
        triggers: [this.droplet.id, repos.attachment.id],
      },
      {
        parent: this,
        // The firewall too: nothing deploys to a host that is not yet filtered.
        dependsOn: [this.droplet, ipAssignment, repos.attachment, firewall],
        customTimeouts: { create: "20m", update: "20m" },
      },
    );

    this.vpcId = vpc.id;
    this.sshKeyFingerprints = sshKeys.map((k) => k.fingerprint);
    this.dropletId = this.droplet.id;
    this.publicIp = reservedIp.ipAddress;
    this.privateIp = this.droplet.ipv4AddressPrivate;
    this.volumeId = repos.volumeId;
    this.volumeName = repos.volumeName;
    this.mountPath = repos.mountPath;
    this.sshCommand = pulumi.interpolate`ssh ${DEPLOY_USER}@${reservedIp.ipAddress}`;
    // Derived from the command's output so that it is unknown until the server is ready
    // (the Docker provider pings its host when configured: pulumi-docker #139).
    this.dockerHost = pulumi
      .all([this.ready.stdout, reservedIp.ipAddress])
      .apply(([, ip]) => `ssh://${DEPLOY_USER}@${ip}`);
    this.hostKey = this.ready.stdout.apply((out) => hostKeyFromOutput(out) ?? "");
    this.knownHostsLine = pulumi
      .all([this.ready.stdout, reservedIp.ipAddress])
      .apply(([out, ip]) => knownHostsLine(ip, hostKeyFromOutput(out)));

    this.registerOutputs({
      vpcId: this.vpcId,
      dropletId: this.dropletId,
      publicIp: this.publicIp,
      volumeId: this.volumeId,
      volumeName: this.volumeName,
      sshCommand: this.sshCommand,
      dockerHost: this.dockerHost,
      knownHostsLine: this.knownHostsLine,
    });
  }

  /** Sources for 80/443: the configured override, else Cloudflare's ranges (IPv4 and IPv6). */
  private httpSources(override: readonly string[] | undefined): pulumi.Output<string[]> {
    if (override !== undefined) return pulumi.output(normalizeCidrs(override));
    return cloudflare
      .getIpRangesOutput({}, { parent: this })
      .apply((ranges) => normalizeCidrs([...ranges.ipv4Cidrs, ...ranges.ipv6Cidrs]));
  }
}
