import type { Policy, PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { type PolicyViolation, type RecordedPolicyResource, runPolicyPack } from "../../policies/run";

/**
 * Recorded resource graphs for the policy tests, shaped like the offline synth's recording
 * (inputs only, no provider ids; references between resources through propertyDependencies).
 * Every builder returns a fresh graph, so a test may change it freely.
 */

export const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export const UNKNOWN_BOOLEAN = "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7";
export const UNKNOWN_NUMBER = "3eeb2bf0-c639-47a8-9e75-3b44932eb421";
export const UNKNOWN_ARRAY = "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2";
export const UNKNOWN_OBJECT = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff";

export const DIGEST = `sha256:${"4f".repeat(32)}`;
export const APP_IMAGE = `ghcr.io/docstown/docstown@${DIGEST}`;
export const PROXY_IMAGE = `basecamp/kamal-proxy@sha256:${"9c".repeat(32)}`;
export const ZONE_ID = "0b4d1e2f3a4b5c6d7e8f9a0b1c2d3e4f";
export const DROPLET_ID = 412345678;
export const VOLUME_ID = "6f1c0a52-0d3c-4b7e-a2f1-9e8d7c6b5a49";
export const VPC_ID = "1d2c3b4a-5f6e-4a7b-a8c9-0d1e2f3a4b5c";
export const CLUSTER_ID = "9a8b7c6d-5e4f-4a3b-a2c1-d0e9f8a7b6c5";

export const USER_DATA = `#cloud-config
package_update: true
packages:
  - docker.io
users:
  - name: deploy
    groups: [docker]
    shell: /bin/bash
    ssh_authorized_keys:
      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDocsTownDeployKey deploy
mounts:
  - [ /dev/disk/by-id/scsi-0DO_Volume_docstown-repos, /data/repos, ext4, "defaults,nofail,discard,noatime", "0", "2" ]
`;

export const USER_DATA_WITHOUT_MOUNT = USER_DATA.replace(/mounts:\n.*\n/, "");

const CLOUDFLARE_V4 = ["173.245.48.0/20", "103.21.244.0/22", "104.16.0.0/13", "172.64.0.0/13"];
const CLOUDFLARE_V6 = ["2400:cb00::/32", "2606:4700::/32"];

type Stack = "production" | "local";

function urn(stack: Stack, type: string, name: string, parentType?: string): string {
  return `urn:pulumi:${stack}::docstown::${parentType ? `${parentType}$` : ""}${type}::${name}`;
}

interface Spec {
  type: string;
  name: string;
  props: Record<string, unknown>;
  opts?: RecordedPolicyResource["opts"];
  parent?: RecordedPolicyResource;
  provider?: RecordedPolicyResource;
  /** property -> resources its value came from */
  deps?: Record<string, RecordedPolicyResource[]>;
  secretPaths?: string[];
}

function resource(stack: Stack, spec: Spec): RecordedPolicyResource {
  const parentType = spec.parent ? spec.parent.type : undefined;
  const propertyDependencies: Record<string, string[]> = {};
  for (const [key, list] of Object.entries(spec.deps ?? {})) propertyDependencies[key] = list.map((r) => r.urn);
  const dependencies = [...new Set(Object.values(propertyDependencies).flat())].sort();
  const recorded: RecordedPolicyResource = {
    urn: urn(stack, spec.type, spec.name, parentType),
    type: spec.type,
    name: spec.name,
    props: spec.props,
    opts: spec.opts ?? {},
    dependencies,
    propertyDependencies,
  };
  if (spec.parent) recorded.parent = spec.parent.urn;
  if (spec.provider) recorded.provider = spec.provider.urn;
  if (spec.secretPaths) recorded.secretPaths = spec.secretPaths;
  return recorded;
}

function appContainer(role: string, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    image: APP_IMAGE,
    labels: [
      { label: "docstown.role", value: role },
      { label: "docstown.version", value: "2026.11.1" },
    ],
    restart: "unless-stopped",
    logDriver: "local",
    memory: 1024,
    // The bare uid: a "uid:gid" user with uploads fails the create (moby #34142).
    user: "1000",
    readOnly: true,
    securityOpts: ["no-new-privileges:true"],
    capabilities: { drops: ["ALL"] },
    networksAdvanced: [{ name: "docstown" }],
    ...extra,
  };
}

function withoutKey(key: string, props: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(props).filter(([k]) => k !== key));
}

const RAILS_ENV = [
  "RAILS_ENV=production",
  "RAILS_MASTER_KEY=5f0c9e3b7a1d4e2f8c6b0a9d3e7f1c2b",
  "DATABASE_URL=postgresql://docstown:AVNS_k3Jf9sQ0pLm2Xv7Tz4Wq@private-docstown-db.f.db.ondigitalocean.com:25060/docstown_production?sslmode=require",
  "SENTRY_DSN=https://3b1f0e9c2d7a4b5e8f6c1a0d9e2b7c4f@o123456.ingest.sentry.io/4507000000000000",
  "JOB_CONCURRENCY=2",
];
const RAILS_SECRET_PATHS = ["envs[1]", "envs[2]", "envs[3]"];

/** The full production graph: droplet, volume, attachment, firewall, database, containers, DNS. */
export function productionGraph(): RecordedPolicyResource[] {
  const r = (spec: Spec) => resource("production", spec);
  // As the program declares it: DigitalOcean picks the range, the unique name carries the region.
  const vpc = r({ type: "digitalocean:index/vpc:Vpc", name: "docstown-vpc", props: { name: "docstown-production-fra1", region: "fra1" } });
  const sshKey = r({
    type: "digitalocean:index/sshKey:SshKey",
    name: "docstown-deploy-key",
    props: { name: "docstown-deploy", publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDocsTownDeployKey deploy" },
  });
  const volume = r({
    type: "digitalocean:index/volume:Volume",
    name: "docstown-repos-volume",
    props: {
      name: "docstown-repos",
      region: "fra1",
      size: 50,
      initialFilesystemType: "ext4",
      initialFilesystemLabel: "repos",
      description: "DocsTown repository clones (/data/repos)",
      tags: ["docstown"],
    },
    opts: { protect: true },
  });
  const droplet = r({
    type: "digitalocean:index/droplet:Droplet",
    name: "docstown-server-droplet",
    props: {
      name: "docstown-server",
      image: "ubuntu-24-04-x64",
      region: "fra1",
      size: "s-2vcpu-4gb",
      sshKeys: ["3b:1f:0e:9c:2d:7a:4b:5e:8f:6c:1a:0d:9e:2b:7c:4f"],
      monitoring: true,
      vpcUuid: VPC_ID,
      userData: USER_DATA,
      tags: ["docstown", "docstown-web"],
      gracefulShutdown: true,
    },
    opts: { deleteBeforeReplace: true },
    deps: { vpcUuid: [vpc], sshKeys: [sshKey] },
  });
  const attachment = r({
    type: "digitalocean:index/volumeAttachment:VolumeAttachment",
    name: "docstown-repos-attachment",
    props: { dropletId: DROPLET_ID, volumeId: VOLUME_ID },
    deps: { dropletId: [droplet], volumeId: [volume] },
  });
  const reservedIp = r({ type: "digitalocean:index/reservedIp:ReservedIp", name: "docstown-ip", props: { region: "fra1" }, opts: { protect: true } });
  const ipAssignment = r({
    type: "digitalocean:index/reservedIpAssignment:ReservedIpAssignment",
    name: "docstown-ip-assignment",
    props: { dropletId: DROPLET_ID, ipAddress: "203.0.113.10" },
    deps: { dropletId: [droplet], ipAddress: [reservedIp] },
  });
  const firewall = r({
    type: "digitalocean:index/firewall:Firewall",
    name: "docstown-firewall",
    props: {
      name: "docstown-web",
      dropletIds: [DROPLET_ID],
      inboundRules: [
        { protocol: "tcp", portRange: "22", sourceAddresses: ["198.51.100.7/32"] },
        { protocol: "tcp", portRange: "80", sourceAddresses: [...CLOUDFLARE_V4, ...CLOUDFLARE_V6] },
        { protocol: "tcp", portRange: "443", sourceAddresses: [...CLOUDFLARE_V4, ...CLOUDFLARE_V6] },
        { protocol: "icmp", sourceAddresses: ["0.0.0.0/0", "::/0"] },
      ],
      outboundRules: [
        { protocol: "tcp", portRange: "1-65535", destinationAddresses: ["0.0.0.0/0", "::/0"] },
        { protocol: "udp", portRange: "1-65535", destinationAddresses: ["0.0.0.0/0", "::/0"] },
        { protocol: "icmp", destinationAddresses: ["0.0.0.0/0", "::/0"] },
      ],
    },
    deps: { dropletIds: [droplet] },
  });
  const cluster = r({
    type: "digitalocean:index/databaseCluster:DatabaseCluster",
    name: "docstown-db",
    props: {
      name: "docstown-db",
      engine: "pg",
      version: "16",
      size: "db-s-1vcpu-1gb",
      region: "fra1",
      nodeCount: 1,
      privateNetworkUuid: VPC_ID,
      maintenanceWindows: [{ day: "sunday", hour: "03:00:00" }],
    },
    opts: { protect: true },
    deps: { privateNetworkUuid: [vpc] },
  });
  const dbFirewall = r({
    type: "digitalocean:index/databaseFirewall:DatabaseFirewall",
    name: "docstown-db-firewall",
    props: { clusterId: CLUSTER_ID, rules: [{ type: "droplet", value: String(DROPLET_ID) }] },
    deps: { clusterId: [cluster], rules: [droplet] },
  });
  const docker = r({
    type: "pulumi:providers:docker",
    name: "docstown-docker",
    props: { host: "ssh://deploy@203.0.113.10", sshOpts: ["-o", "StrictHostKeyChecking=yes"] },
    deps: { host: [ipAssignment] },
  });
  const app = r({ type: "docstown:app:App", name: "docstown", props: {} });
  const onHost = (c: Spec) => r({ ...c, parent: app, provider: docker });
  const reposMount = [{ hostPath: "/data/repos", containerPath: "/data/repos" }];
  const web = onHost({
    type: "docker:index/container:Container",
    name: "docstown-web",
    props: appContainer("web", {
      name: "docstown-web-3f9c2a",
      command: ["./bin/thrust", "./bin/rails", "server"],
      envs: RAILS_ENV,
      volumes: reposMount,
      healthcheck: { tests: ["CMD", "curl", "-fsS", "http://localhost/up"], interval: "10s", timeout: "5s", retries: 3, startPeriod: "60s" },
      tmpfs: { "/tmp": "rw,noexec,nosuid,size=64m", "/rails/tmp": "rw,size=64m" },
    }),
    secretPaths: RAILS_SECRET_PATHS,
  });
  const worker = onHost({
    type: "docker:index/container:Container",
    name: "docstown-worker",
    props: appContainer("worker", {
      name: "docstown-worker",
      command: ["bin/jobs"],
      envs: RAILS_ENV,
      volumes: reposMount,
      logDriver: "json-file",
      logOpts: { "max-size": "10m", "max-file": "5" },
      stopTimeout: 60,
    }),
    secretPaths: RAILS_SECRET_PATHS,
  });
  const migrate = onHost({
    type: "docker:index/container:Container",
    name: "docstown-migrate",
    props: appContainer("migrate", {
      name: "docstown-migrate-3f9c2a",
      command: ["./bin/rails", "db:prepare"],
      envs: RAILS_ENV,
      restart: "no",
      mustRun: false,
      attach: true,
    }),
    secretPaths: RAILS_SECRET_PATHS,
  });
  const proxy = onHost({
    type: "docker:index/container:Container",
    name: "docstown-proxy",
    props: appContainer("proxy", {
      image: PROXY_IMAGE,
      name: "docstown-proxy",
      user: "65534",
      // The official caddy image's binary carries cap_net_bind_service=+ep: exec needs it in the bounding set.
      capabilities: { drops: ["ALL"], adds: ["CAP_NET_BIND_SERVICE"] },
      ports: [{ internal: 8443, external: 443 }, { internal: 8080, external: 80 }],
      uploads: [{ file: "/etc/caddy/tls/origin.crt", content: "-----BEGIN CERTIFICATE-----\n...", permissions: "0444" }],
    }),
  });
  const dns = (name: string, props: Record<string, unknown>) =>
    r({ type: "cloudflare:index/dnsRecord:DnsRecord", name, props: { zoneId: ZONE_ID, ttl: 1, ...props } });
  const setting = (name: string, settingId: string, value: string) =>
    r({ type: "cloudflare:index/zoneSetting:ZoneSetting", name, props: { zoneId: ZONE_ID, settingId, value } });
  return [
    vpc, sshKey, volume, droplet, attachment, reservedIp, ipAssignment, firewall, cluster, dbFirewall, docker, app,
    web, worker, migrate, proxy,
    dns("docstown-apex", { name: "docstown.org", type: "A", content: "203.0.113.10", proxied: true }),
    dns("docstown-www", { name: "www.docstown.org", type: "CNAME", content: "docstown.org", proxied: true }),
    dns("docstown-dkim", { name: "s1._domainkey.docstown.org", type: "CNAME", content: "s1.domainkey.u1.wl.sendgrid.net", proxied: false, ttl: 3600 }),
    dns("docstown-spf", { name: "docstown.org", type: "TXT", content: "v=spf1 include:sendgrid.net -all", ttl: 3600 }),
    setting("docstown-ssl", "ssl", "strict"),
    setting("docstown-min-tls", "min_tls_version", "1.2"),
    setting("docstown-always-https", "always_use_https", "on"),
  ];
}

/** The local stack: the same app containers on the local engine, Docker volumes, a PostgreSQL container. */
export function localGraph(): RecordedPolicyResource[] {
  const r = (spec: Spec) => resource("local", spec);
  const localImage = `sha256:${"7e".repeat(32)}`;
  const network = r({ type: "docker:index/network:Network", name: "docstown-network", props: { name: "docstown" } });
  const repos = r({ type: "docker:index/volume:Volume", name: "docstown-repos", props: { name: "docstown-repos" } });
  const proxyData = r({ type: "docker:index/volume:Volume", name: "docstown-proxy-data", props: { name: "docstown-proxy-data" } });
  const proxyDataMount = [{ volumeName: "docstown-proxy-data", containerPath: "/var/lib/docstown-caddy" }];
  const pgData = r({ type: "docker:index/volume:Volume", name: "docstown-postgres-data", props: { name: "docstown-postgres-data" } });
  const app = r({ type: "docstown:app:App", name: "docstown", props: {} });
  const local = (c: Spec) => r({ ...c, parent: app });
  const env = [
    "RAILS_ENV=production",
    "SECRET_KEY_BASE=8c2f7e1a9b0d4c3e6f5a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7",
    "DATABASE_URL=postgresql://docstown:Qm7xV2pL9sK4tR8w@docstown-postgres:5432/docstown_production",
  ];
  const secretPaths = ["envs[1]", "envs[2]"];
  const reposMount = [{ volumeName: "docstown-repos", containerPath: "/data/repos" }];
  const postgres = local({
    type: "docker:index/container:Container",
    name: "docstown-postgres",
    props: appContainer("postgres", {
      image: `postgres@sha256:${"3a".repeat(32)}`,
      name: "docstown-postgres",
      user: "999:999",
      readOnly: false,
      envs: ["POSTGRES_USER=docstown", "POSTGRES_PASSWORD=Qm7xV2pL9sK4tR8w"],
      volumes: [{ volumeName: "docstown-postgres-data", containerPath: "/var/lib/postgresql/data" }],
    }),
    deps: { volumes: [pgData], networksAdvanced: [network] },
    secretPaths: ["envs[1]"],
  });
  const web = local({
    type: "docker:index/container:Container",
    name: "docstown-web",
    props: appContainer("web", {
      image: localImage,
      name: "docstown-web-1",
      envs: env,
      volumes: reposMount,
      healthcheck: { tests: ["CMD", "curl", "-fsS", "http://localhost/up"], interval: "5s" },
    }),
    deps: { volumes: [repos], networksAdvanced: [network], envs: [postgres] },
    secretPaths,
  });
  const worker = local({
    type: "docker:index/container:Container",
    name: "docstown-worker",
    props: appContainer("worker", { image: localImage, name: "docstown-worker", command: ["bin/jobs"], envs: env, volumes: reposMount }),
    deps: { volumes: [repos], networksAdvanced: [network] },
    secretPaths,
  });
  const migrate = local({
    type: "docker:index/container:Container",
    name: "docstown-migrate",
    props: appContainer("migrate", { image: localImage, name: "docstown-migrate-1", command: ["./bin/rails", "db:prepare"], envs: env, restart: "no" }),
    deps: { networksAdvanced: [network] },
    secretPaths,
  });
  const proxy = local({
    type: "docker:index/container:Container",
    name: "docstown-proxy",
    props: appContainer("proxy", {
      image: PROXY_IMAGE,
      name: "docstown-proxy",
      user: "65534",
      capabilities: { drops: ["ALL"], adds: ["CAP_NET_BIND_SERVICE"] },
      ports: [{ internal: 8080, external: 8080 }],
      // Caddy's local CA on a volume; only the Caddyfile is uploaded.
      volumes: proxyDataMount,
      envs: ["XDG_DATA_HOME=/var/lib/docstown-caddy"],
      uploads: [{ file: "/etc/caddy/Caddyfile", content: "{\n\tadmin off\n}\n", permissions: "0444" }],
    }),
    deps: { networksAdvanced: [network], volumes: [proxyData] },
  });
  // Hand a fresh, root-owned volume to the uid that writes it: root with CAP_CHOWN alone, no network.
  const ownerStep = (step: string, owner: string, path: string, mount: Record<string, unknown>) =>
    withoutKey("networksAdvanced", appContainer("migrate", {
      image: localImage,
      name: `docstown-${step}`,
      command: ["chown", owner, path],
      user: "0:0",
      capabilities: { drops: ["ALL"], adds: ["CAP_CHOWN"] },
      memory: 64,
      restart: "no",
      networkMode: "none",
      labels: [
        { label: "docstown.role", value: "migrate" },
        { label: "docstown.step", value: step },
      ],
      ...mount,
    }));
  const reposOwner = local({
    type: "docker:index/container:Container",
    name: "docstown-repos-owner",
    props: ownerStep("repos-owner", "1000:1000", "/data/repos", { volumes: reposMount }),
    deps: { volumes: [repos] },
  });
  const proxyDataOwner = local({
    type: "docker:index/container:Container",
    name: "docstown-proxy-data-owner",
    props: ownerStep("proxy-data-owner", "65534:65534", "/var/lib/docstown-caddy", { volumes: proxyDataMount }),
    deps: { volumes: [proxyData] },
  });
  return [network, repos, proxyData, pgData, app, postgres, reposOwner, proxyDataOwner, web, worker, migrate, proxy];
}

// ---------------------------------------------------------------------------------------------
// Editing helpers.

export function find(graph: readonly RecordedPolicyResource[], name: string): RecordedPolicyResource {
  const found = graph.find((r) => r.name === name);
  if (!found) throw new Error(`fixture has no resource named ${name}`);
  return found;
}

/** The graph without the named resource (references to it stay dangling, as after a removal). */
export function without(graph: readonly RecordedPolicyResource[], name: string): RecordedPolicyResource[] {
  find(graph, name);
  return graph.filter((r) => r.name !== name);
}

/** Sets (or, with `undefined`, removes) properties of the named resource in place; returns the graph. */
export function setProps(graph: RecordedPolicyResource[], name: string, props: Record<string, unknown>): RecordedPolicyResource[] {
  const target = find(graph, name);
  const next = { ...target.props };
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined) delete next[key];
    else next[key] = value;
  }
  target.props = next;
  return graph;
}

export function setOpts(graph: RecordedPolicyResource[], name: string, opts: RecordedPolicyResource["opts"]): RecordedPolicyResource[] {
  const target = find(graph, name);
  target.opts = { ...target.opts, ...opts };
  return graph;
}

/** The graph with only the named resources (and nothing else). */
export function only(graph: readonly RecordedPolicyResource[], ...names: string[]): RecordedPolicyResource[] {
  return names.map((n) => find(graph, n));
}

// ---------------------------------------------------------------------------------------------
// Running policies.

type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;

/** Runs one policy through the offline runner and returns its violations. */
export function violations(policy: AnyPolicy, graph: RecordedPolicyResource[], config?: Record<string, unknown>): Promise<PolicyViolation[]> {
  return runPolicyPack([policy], graph, config);
}

/** Runs one policy and returns just its messages. */
export async function messages(policy: AnyPolicy, graph: RecordedPolicyResource[], config?: Record<string, unknown>): Promise<string[]> {
  return (await violations(policy, graph, config)).map((v) => v.message);
}

export class NotApplicableMarker extends Error {}

/**
 * Calls a resource policy's validateResource directly (no runner fast path) with a resource of any
 * type; `notApplicable` throws `NotApplicableMarker`, as the SDK throws its own error.
 */
export async function callDirectly(policy: ResourceValidationPolicy, r: RecordedPolicyResource): Promise<{ reported: string[]; notApplicable?: string }> {
  const reported: string[] = [];
  const report: ReportViolation = (message) => reported.push(message);
  const args: ResourceValidationArgs = {
    type: r.type,
    props: r.props,
    urn: r.urn,
    name: r.name,
    opts: { protect: r.opts.protect === true, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
    stackTags: new Map(),
    isType: () => false,
    asType: (() => undefined) as ResourceValidationArgs["asType"],
    getConfig: <T extends object>() => ({}) as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicableMarker(reason);
    },
  };
  const validations = Array.isArray(policy.validateResource) ? policy.validateResource : policy.validateResource ? [policy.validateResource] : [];
  try {
    for (const v of validations) await v(args, report);
  } catch (e) {
    if (e instanceof NotApplicableMarker) return { reported, notApplicable: e.message };
    throw e;
  }
  return { reported };
}

export function isStackPolicy(p: Policy): p is StackValidationPolicy {
  return "validateStack" in p;
}

export type { PolicyResource };
