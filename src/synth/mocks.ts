import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";

/**
 * Deterministic, realistic provider answers for the offline synth. Values are derived from the
 * resource's type and name so two runs of the same program give the same graph, and a changed
 * input (an image tag) gives a changed output (its digest).
 */

export function digestOf(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function numericId(seed: string): string {
  return String(100000000 + (parseInt(digestOf(seed).slice(0, 8), 16) % 800000000));
}

function uuid(seed: string): string {
  const h = digestOf(seed);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function ipv4(seed: string, prefix: string): string {
  const h = digestOf(seed);
  return `${prefix}.${(parseInt(h.slice(0, 2), 16) % 250) + 2}`;
}

/** An OpenSSH ed25519 public key line (`ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI…`) derived from `seed`. */
function sshHostKey(seed: string): string {
  const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  const blob = Buffer.concat([field(Buffer.from("ssh-ed25519")), field(Buffer.from(digestOf(seed), "hex"))]);
  return `ssh-ed25519 ${blob.toString("base64")}`;
}

type Outputs = (name: string, inputs: Record<string, unknown>) => { id: string; state: Record<string, unknown> };

const PEM = (label: string, seed: string) =>
  `-----BEGIN ${label}-----\n${Buffer.from(digestOf(seed).repeat(4)).toString("base64").slice(0, 64)}\n-----END ${label}-----\n`;

/** Cluster id → public host, so a connection pool's mock answers on its own cluster's host. */
const clusterHosts = new Map<string, string>();

const RESOURCE_OUTPUTS: Record<string, Outputs> = {
  "digitalocean:index/droplet:Droplet": (name) => {
    const id = numericId(name);
    return { id, state: { urn: `do:droplet:${id}`, ipv4Address: ipv4(name, "198.51.100"), ipv4AddressPrivate: ipv4(name, "10.110.0"), status: "active" } };
  },
  "digitalocean:index/reservedIp:ReservedIp": (name) => {
    const ip = ipv4(name, "203.0.113");
    return { id: ip, state: { ipAddress: ip, urn: `do:reservedip:${ip}` } };
  },
  "digitalocean:index/volume:Volume": (name) => {
    const id = uuid(name);
    return { id, state: { urn: `do:volume:${id}` } };
  },
  "digitalocean:index/vpc:Vpc": (name) => ({ id: uuid(name), state: { urn: `do:vpc:${uuid(name)}`, ipRange: "10.110.0.0/20" } }),
  "digitalocean:index/sshKey:SshKey": (name) => ({ id: numericId(name), state: { fingerprint: digestOf(name).slice(0, 32).replace(/(..)(?=.)/g, "$1:") } }),
  // server: a tag's id is its name; attachments' ids are "<droplet>-<volume or ip>-<unique suffix>" as the provider makes them.
  "digitalocean:index/tag:Tag": (name, inputs) => ({ id: String(inputs["name"] ?? name), state: { dropletsCount: 0, totalResourceCount: 0 } }),
  "digitalocean:index/firewall:Firewall": (name) => ({ id: uuid(name), state: { status: "succeeded", createdAt: "2026-01-01T00:00:00Z", pendingChanges: [] } }),
  "digitalocean:index/volumeAttachment:VolumeAttachment": (name, inputs) => ({
    id: `${String(inputs["dropletId"])}-${String(inputs["volumeId"])}-${digestOf(name).slice(0, 26)}`, state: {},
  }),
  "digitalocean:index/reservedIpAssignment:ReservedIpAssignment": (name, inputs) => ({
    id: `${String(inputs["dropletId"])}-${String(inputs["ipAddress"])}-${digestOf(name).slice(0, 26)}`, state: {},
  }),
  "digitalocean:index/databaseCluster:DatabaseCluster": (name, inputs) => {
    const cluster = String(inputs["name"] ?? name);
    const host = `${cluster}-do-user-1234567-0.f.db.ondigitalocean.com`;
    const privateHost = `private-${host}`;
    const password = `AVNS_${digestOf(`${name}-password`).slice(0, 20)}`;
    clusterHosts.set(uuid(name), host);
    return {
      id: uuid(name),
      state: {
        urn: `do:dbaas:${uuid(name)}`, host, privateHost, port: 25060, user: "doadmin", password, database: "defaultdb",
        uri: `postgresql://doadmin:${password}@${host}:25060/defaultdb?sslmode=require`,
        privateUri: `postgresql://doadmin:${password}@${privateHost}:25060/defaultdb?sslmode=require`,
      },
    };
  },
  // A pool answers on its cluster's hosts, on port 25061, as a database named after the pool.
  "digitalocean:index/databaseConnectionPool:DatabaseConnectionPool": (_name, inputs) => {
    const host = clusterHosts.get(String(inputs["clusterId"])) ?? "unknown-cluster.db.ondigitalocean.com";
    return { id: `${String(inputs["clusterId"])}/pool/${String(inputs["name"])}`, state: { host, privateHost: `private-${host}`, port: 25061 } };
  },
  "digitalocean:index/databaseUser:DatabaseUser": (name) => ({ id: `${name}`, state: { password: `AVNS_${digestOf(`${name}-user`).slice(0, 20)}`, role: "normal" } }),
  // The provider's ids: `<cluster uuid>/database/<name>` and `<role>_<database>_<schema>_<object type>`.
  "digitalocean:index/databaseDb:DatabaseDb": (_name, inputs) => ({ id: `${String(inputs["clusterId"])}/database/${String(inputs["name"])}`, state: {} }),
  "digitalocean:index/databaseFirewall:DatabaseFirewall": (name, inputs) => ({
    id: `${String(inputs["clusterId"])}`,
    state: { rules: ((inputs["rules"] ?? []) as Record<string, unknown>[]).map((r, i) => ({ ...r, uuid: uuid(`${name}-rule-${i}`), createdAt: "2026-01-01T00:00:00Z" })) },
  }),
  "postgresql:index/grant:Grant": (_name, inputs) => ({
    id: [inputs["role"], inputs["database"], inputs["schema"] ?? "", inputs["objectType"]].map(String).join("_"),
    state: { withGrantOption: false },
  }),
  "cloudflare:index/originCaCertificate:OriginCaCertificate": (name) => ({
    id: numericId(name), state: { certificate: PEM("CERTIFICATE", name), expiresOn: "2041-11-20 00:00:00 +0000 UTC" },
  }),
  // Cloudflare record ids are 32 hex digits; a zone setting's id is its setting name.
  "cloudflare:index/dnsRecord:DnsRecord": (name, inputs) => ({
    id: digestOf(`dns-${name}`).slice(0, 32),
    state: { proxiable: ["A", "AAAA", "CNAME"].includes(String(inputs["type"])), createdOn: "2026-01-01T00:00:00Z", modifiedOn: "2026-01-01T00:00:00Z" },
  }),
  "cloudflare:index/zoneSetting:ZoneSetting": (_name, inputs) => ({
    id: String(inputs["settingId"]), state: { editable: true, modifiedOn: "2026-01-01T00:00:00Z" },
  }),
  "tls:index/privateKey:PrivateKey": (name) => ({
    id: digestOf(name).slice(0, 40),
    state: { privateKeyPem: PEM("PRIVATE KEY", name), publicKeyPem: PEM("PUBLIC KEY", name), publicKeyOpenssh: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5${digestOf(name).slice(0, 40)}` },
  }),
  "tls:index/certRequest:CertRequest": (name) => ({ id: digestOf(name).slice(0, 40), state: { certRequestPem: PEM("CERTIFICATE REQUEST", name) } }),
  "tls:index/selfSignedCert:SelfSignedCert": (name) => ({ id: numericId(name), state: { certPem: PEM("CERTIFICATE", name) } }),
  "tls:index/locallySignedCert:LocallySignedCert": (name) => ({
    id: numericId(name), state: { certPem: PEM("CERTIFICATE", name), validityEndTime: "2029-11-20T00:00:00Z", readyForRenewal: false },
  }),
  // A zone-level origin-pull upload: its id is the certificate id; Cloudflare deploys it after the create returns.
  "cloudflare:index/authenticatedOriginPullsCertificate:AuthenticatedOriginPullsCertificate": (name) => ({
    id: digestOf(`aop-${name}`).slice(0, 32), state: { status: "pending_deployment" },
  }),
  "docker:index/remoteImage:RemoteImage": (name, inputs) => {
    const ref = String(inputs["name"] ?? name);
    const digest = ref.includes("@sha256:") ? ref.split("@")[1] ?? "" : `sha256:${digestOf(ref)}`;
    return { id: `sha256:${digestOf(`${ref}-id`)}`, state: { imageId: `sha256:${digestOf(`${ref}-id`)}`, repoDigest: ref.includes("@") ? ref : `${ref}@${digest}` } };
  },
  // Containers, networks and volumes without a `name` input get Pulumi's auto-name (`<name>-<7 hex>`).
  "docker:index/container:Container": (name, inputs) => ({
    id: digestOf(name), state: { exitCode: 0, name: String(inputs["name"] ?? `${name}-${digestOf(name).slice(0, 7)}`) },
  }),
  "docker:index/network:Network": (name, inputs) => ({
    id: digestOf(name).slice(0, 25), state: { name: String(inputs["name"] ?? `${name}-${digestOf(name).slice(0, 7)}`), scope: "local" },
  }),
  "docker:index/volume:Volume": (name, inputs) => {
    const volume = String(inputs["name"] ?? `${name}-${digestOf(name).slice(0, 7)}`);
    return { id: volume, state: { name: volume, mountpoint: `/var/lib/docker/volumes/${volume}/_data` } };
  },
  // A command that prints the SSH host key (the server's readiness check) gets a well-formed ed25519 key line.
  "command:remote:Command": (name, inputs) => ({
    id: `${name}-${digestOf(name).slice(0, 8)}`,
    state: { stdout: String(inputs["create"] ?? "").includes("/etc/ssh/ssh_host_ed25519_key.pub") ? `${sshHostKey(name)} root@${name}\n` : "", stderr: "" },
  }),
};

/** Invoke tokens the program may call, answered with realistic data; anything else is an error. */
const CALLS: Record<string, (args: Record<string, unknown>) => Record<string, unknown>> = {
  "docker:index/getRegistryImage:getRegistryImage": (args) => ({
    name: args["name"], sha256Digest: `sha256:${digestOf(String(args["name"]))}`, insecureSkipVerify: false,
  }),
  // Reading the app user of a restored cluster (it came with the backup, password included).
  "digitalocean:index/getDatabaseUser:getDatabaseUser": (args) => ({
    id: `${String(args["clusterId"])}/user/${String(args["name"])}`, clusterId: args["clusterId"], name: args["name"],
    password: `AVNS_${digestOf(`${String(args["clusterId"])}-${String(args["name"])}-user`).slice(0, 20)}`, role: "normal",
    accessCert: "", accessKey: "", mysqlAuthPlugin: "", settings: [],
  }),
  // The cluster's CA certificate (a well-formed PEM block, not a real certificate).
  "digitalocean:index/getDatabaseCa:getDatabaseCa": (args) => ({
    id: String(args["clusterId"]), clusterId: args["clusterId"], certificate: PEM("CERTIFICATE", `${String(args["clusterId"])}-ca`),
  }),
  "cloudflare:index/getIpRanges:getIpRanges": () => ({
    id: "cloudflare-ip-ranges",
    // Cloudflare's published ranges as of 2026; the real program reads them at deploy time.
    ipv4Cidrs: [
      "173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22", "141.101.64.0/18", "108.162.192.0/18",
      "190.93.240.0/20", "188.114.96.0/20", "197.234.240.0/22", "198.41.128.0/17", "162.158.0.0/15", "104.16.0.0/13",
      "104.24.0.0/14", "172.64.0.0/13", "131.0.72.0/22",
    ],
    ipv6Cidrs: ["2400:cb00::/32", "2606:4700::/32", "2803:f800::/32", "2405:b500::/32", "2405:8100::/32", "2a06:98c0::/29", "2c0f:f248::/32"],
    chinaIpv4Cidrs: [], chinaIpv6Cidrs: [], etag: "mock",
  }),
  "cloudflare:index/getZone:getZone": (args) => {
    const filter = (args["filter"] ?? {}) as Record<string, unknown>;
    const name = String(filter["name"] ?? "docstown.org");
    const id = String(args["zoneId"] ?? digestOf(name).slice(0, 32));
    return { id, zoneId: id, name, status: "active", nameServers: ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"] };
  },
};

/** The SDK reports a failed mock call by its gRPC `details`, so the message is copied there. */
export class UnknownCallError extends Error {
  readonly details: string;

  constructor(message: string) {
    super(message);
    this.details = message;
  }
}

export function createMocks(): pulumi.runtime.Mocks {
  return {
    newResource(args: pulumi.runtime.MockResourceArgs) {
      const outputs = RESOURCE_OUTPUTS[args.type];
      if (outputs === undefined) {
        return { id: args.custom ? `${args.name}-id` : undefined, state: args.inputs };
      }
      const { id, state } = outputs(args.name, args.inputs as Record<string, unknown>);
      return { id, state: { ...args.inputs, ...state } };
    },
    call(args: pulumi.runtime.MockCallArgs) {
      const answer = CALLS[args.token];
      if (answer === undefined) {
        throw new UnknownCallError(`synth has no mock for function ${args.token}; add one to src/synth/mocks.ts`);
      }
      return answer(args.inputs as Record<string, unknown>);
    },
  };
}
