import * as cloudflare from "@pulumi/cloudflare";
import * as command from "@pulumi/command";
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { bootstrapKeys } from "../config/operator-keys";
import type { ProductionSettings, WebSettings } from "../config/schema";
import { DEPLOY_USER, renderCloudInit } from "./cloud-init";
import { normalizeCidrs, outboundRules } from "./firewall";
import { loadBalancerSpec } from "./load-balancer";
import { hostKeyFromOutput, knownHostsLine, readinessScript } from "./readiness";
import type { WebHostPlan } from "./topology";

export interface WebTierArgs {
  /** Prefix of the cloud-side names, the volume host's (`docstown-production`). */
  readonly namePrefix: string;
  readonly region: string;
  /** The volume host's VPC: the load balancer, the web droplets and the database share it. */
  readonly vpcId: pulumi.Input<string>;
  /** DigitalOcean SSH keys the volume host's droplet was created with. */
  readonly sshKeyFingerprints: pulumi.Input<pulumi.Input<string>[]>;
  /** Image and swap as `docstown:droplet` (same OS everywhere); the size is `web.size`. */
  readonly droplet: Pick<ProductionSettings["droplet"], "image" | "swapGb">;
  readonly web: Pick<WebSettings, "size">;
  /** The web hosts to create (`topology(...).webHosts`). */
  readonly hosts: readonly WebHostPlan[];
  /** The bootstrap keys the droplets are created with (as the volume host's), and the SSH sources. */
  readonly operators: Pick<ProductionSettings["operators"], "bootstrapSshPublicKeys" | "sshCidrs">;
  /** Networks allowed to the load balancer; default: Cloudflare's published IPv4 ranges, read at deploy time. */
  readonly httpSourceCidrs?: readonly string[];
  readonly tags: readonly string[];
  /** As `Server.deployPrivateKey`: the readiness check's key, else the SSH agent. */
  readonly deployPrivateKey?: pulumi.Input<string>;
}

/** One web droplet, ready for its Docker provider. */
export interface WebHost {
  readonly key: string;
  readonly droplet: digitalocean.Droplet;
  readonly dropletId: pulumi.Output<string>;
  readonly publicIp: pulumi.Output<string>;
  readonly ready: command.remote.Command;
  /** `ssh://deploy@<ip>`, unknown until `ready` ran (pulumi-docker #139). */
  readonly dockerHost: pulumi.Output<string>;
  readonly knownHostsLine: pulumi.Output<string>;
}

/**
 * The web hosts of a scaled-out stack: N droplets without a volume on one tag, a DigitalOcean load
 * balancer in the VPC that forwards 80 and 443 (TLS passed through) to that tag, and a cloud
 * firewall that lets 80/443 in from the load balancer only and SSH from the operators.
 */
export class WebTier extends pulumi.ComponentResource {
  readonly loadBalancer: digitalocean.LoadBalancer;
  /** The load balancer's public IPv4: what the apex record points at. */
  readonly publicIp: pulumi.Output<string>;
  readonly hosts: readonly WebHost[];
  readonly tagName: pulumi.Output<string>;

  constructor(name: string, args: WebTierArgs, opts?: pulumi.ComponentResourceOptions) {
    super("docstown:server:WebTier", name, {}, opts);
    const prefix = args.namePrefix;
    const tag = new digitalocean.Tag(`${name}-tag`, { name: `${prefix}-web` }, { parent: this });

    const spec = this.sources(args.httpSourceCidrs).apply(loadBalancerSpec);
    this.loadBalancer = new digitalocean.LoadBalancer(
      `${name}-lb`,
      {
        name: `${prefix}-web`,
        region: args.region,
        vpcUuid: args.vpcId,
        dropletTag: tag.name,
        forwardingRules: spec.forwardingRules,
        healthcheck: spec.healthcheck,
        firewall: spec.firewall,
        redirectHttpToHttps: spec.redirectHttpToHttps,
      },
      { parent: this },
    );

    // 80/443 from the load balancer only (it reaches the droplets over the VPC); nothing else but SSH.
    const firewall = new digitalocean.Firewall(
      `${name}-firewall`,
      {
        name: `${prefix}-web`,
        tags: [tag.name],
        inboundRules: [
          { protocol: "tcp", portRange: "22", sourceAddresses: normalizeCidrs(args.operators.sshCidrs) },
          { protocol: "tcp", portRange: "80", sourceLoadBalancerUids: [this.loadBalancer.id] },
          { protocol: "tcp", portRange: "443", sourceLoadBalancerUids: [this.loadBalancer.id] },
        ],
        outboundRules: outboundRules(),
      },
      { parent: this },
    );

    // No volume: no mount in the user-data, no mount wait in the readiness check.
    // Like the volume host's, the bootstrap keys: operators.sshPublicKeys reaches authorized_keys in place.
    const userData = renderCloudInit({ sshPublicKeys: bootstrapKeys(args.operators), swapGb: args.droplet.swapGb });
    this.hosts = args.hosts.map((plan) => this.host(name, plan, { ...args, userData, tag, firewall }));
    this.publicIp = this.loadBalancer.ip;
    this.tagName = tag.name;
    this.registerOutputs({ publicIp: this.publicIp, loadBalancerId: this.loadBalancer.id, hosts: this.hosts.map((h) => h.publicIp) });
  }

  private host(
    name: string,
    plan: WebHostPlan,
    args: WebTierArgs & { userData: string; tag: digitalocean.Tag; firewall: digitalocean.Firewall },
  ): WebHost {
    const droplet = new digitalocean.Droplet(
      `${name}-${plan.index}-droplet`,
      {
        name: `${args.namePrefix}-${plan.key}`,
        region: args.region,
        image: args.droplet.image,
        size: args.web.size,
        vpcUuid: args.vpcId,
        monitoring: true,
        sshKeys: args.sshKeyFingerprints,
        // The tag from the first boot: the firewall and the load balancer find it by it.
        tags: [...args.tags, args.tag.name],
        userData: args.userData,
      },
      { parent: this },
    );
    const ready = new command.remote.Command(
      `${name}-${plan.index}-ready`,
      {
        connection: { host: droplet.ipv4Address, user: DEPLOY_USER, privateKey: args.deployPrivateKey, dialErrorLimit: 100, perDialTimeout: 30 },
        create: readinessScript(undefined),
        triggers: [droplet.id],
      },
      { parent: this, dependsOn: [droplet, args.firewall], customTimeouts: { create: "20m", update: "20m" } },
    );
    const ip = droplet.ipv4Address;
    return {
      key: plan.key,
      droplet,
      dropletId: droplet.id,
      publicIp: ip,
      ready,
      dockerHost: pulumi.all([ready.stdout, ip]).apply(([, host]) => `ssh://${DEPLOY_USER}@${host}`),
      knownHostsLine: pulumi.all([ready.stdout, ip]).apply(([out, host]) => knownHostsLine(host, hostKeyFromOutput(out))),
    };
  }

  /** IPv4 sources for the load balancer: the override, else Cloudflare's ranges (the apex A record is IPv4). */
  private sources(override: readonly string[] | undefined): pulumi.Output<string[]> {
    if (override !== undefined) return pulumi.output(normalizeCidrs(override));
    return cloudflare.getIpRangesOutput({}, { parent: this }).apply((ranges) => normalizeCidrs(ranges.ipv4Cidrs));
  }
}
