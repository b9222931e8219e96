// The production host as the program declares it, rendered through the real program under mocks.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import type { RecordedResource, SynthResult } from "../../src/synth/recorder";
import { Server, type ServerArgs } from "../../src/server/server";
import { inboundRules } from "../../src/server/firewall";
import { byType, isSecretPath, one, recordProgram, synthStack } from "../harness";

const T = {
  vpc: "digitalocean:index/vpc:Vpc",
  sshKey: "digitalocean:index/sshKey:SshKey",
  tag: "digitalocean:index/tag:Tag",
  droplet: "digitalocean:index/droplet:Droplet",
  firewall: "digitalocean:index/firewall:Firewall",
  reservedIp: "digitalocean:index/reservedIp:ReservedIp",
  ipAssignment: "digitalocean:index/reservedIpAssignment:ReservedIpAssignment",
  volume: "digitalocean:index/volume:Volume",
  attachment: "digitalocean:index/volumeAttachment:VolumeAttachment",
  command: "command:remote:Command",
} as const;

// Cloudflare's ranges as the mock answers cloudflare:index/getIpRanges (src/synth/mocks.ts).
const CLOUDFLARE_V4 = [
  "173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22", "141.101.64.0/18", "108.162.192.0/18",
  "190.93.240.0/20", "188.114.96.0/20", "197.234.240.0/22", "198.41.128.0/17", "162.158.0.0/15", "104.16.0.0/13",
  "104.24.0.0/14", "172.64.0.0/13", "131.0.72.0/22",
];
const CLOUDFLARE_V6 = ["2400:cb00::/32", "2606:4700::/32", "2803:f800::/32", "2405:b500::/32", "2405:8100::/32", "2a06:98c0::/29", "2c0f:f248::/32"];

let production: Promise<SynthResult> | undefined;
const prod = () => (production ??= synthStack("production"));
// The optional deploy key is not in the committed config; set it as a placeholder secret here.
const WITH_KEY = { "docstown:deploySshPrivateKey": "placeholder:deploySshPrivateKey" };
let productionWithKey: Promise<SynthResult> | undefined;
const prodWithKey = () => (productionWithKey ??= synthStack("production", WITH_KEY));

interface Rule { protocol: string; portRange?: string; sourceAddresses?: string[]; destinationAddresses?: string[] }

function inbound(result: SynthResult): Rule[] {
  return one(result, T.firewall).inputs["inboundRules"] as Rule[];
}

function sources(rules: Rule[], port: string): string[] | undefined {
  const matching = rules.filter((r) => r.protocol === "tcp" && r.portRange === port);
  assert.ok(matching.length <= 1, `one rule for ${port}`);
  return matching[0]?.sourceAddresses;
}

const sorted = (list: readonly string[]) => [...list].sort();

test("repos volume: protected, ext4, labelled, sized and named from config, never listed on the droplet", async () => {
  const r = await prod();
  const volume = one(r, T.volume);
  assert.equal(volume.options.protect, true);
  assert.equal(volume.inputs["initialFilesystemType"], "ext4");
  assert.equal(volume.inputs["initialFilesystemLabel"], "docstown-repos");
  assert.equal(volume.inputs["name"], "docstown-repos");
  assert.equal(volume.inputs["size"], 50);
  assert.equal(volume.inputs["region"], "fra1");
  assert.equal(one(r, T.droplet).inputs["volumeIds"], undefined, "attached through VolumeAttachment only");
});

test("the volume is attached to THIS droplet through its own attachment", async () => {
  const r = await prod();
  const [droplet, volume, attachment] = [one(r, T.droplet), one(r, T.volume), one(r, T.attachment)];
  assert.deepEqual(attachment.propertyDependencies["dropletId"], [droplet.urn]);
  assert.deepEqual(attachment.propertyDependencies["volumeId"], [volume.urn]);
  assert.equal(attachment.inputs["dropletId"], Number(droplet.id), "the provider wants the numeric droplet id");
  assert.equal(attachment.inputs["volumeId"], volume.id);
});

test("droplet: delete-before-replace, monitoring, in the app VPC, operators' keys, config size/image/ipv6", async () => {
  const r = await prod();
  const [droplet, vpc] = [one(r, T.droplet), one(r, T.vpc)];
  assert.equal(droplet.options.deleteBeforeReplace, true, "the attachment must be able to move to the successor");
  assert.equal(droplet.inputs["monitoring"], true);
  assert.equal(droplet.inputs["vpcUuid"], vpc.id);
  assert.deepEqual(droplet.propertyDependencies["vpcUuid"], [vpc.urn]);
  assert.equal(vpc.inputs["region"], "fra1");
  assert.equal(droplet.inputs["region"], "fra1");
  assert.equal(droplet.inputs["size"], "s-2vcpu-4gb");
  assert.equal(droplet.inputs["image"], "ubuntu-24-04-x64");
  assert.equal(droplet.inputs["ipv6"], false);

  const keys = byType(r, T.sshKey);
  assert.equal(keys.length, 1, "one SshKey per configured operator key");
  assert.match(String(keys[0]?.inputs["publicKey"]), /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC7iwlyD5cEPZw7bBIsHlTTcYk6rBmJ5MlsLoAOXpGRy replace-me-example@docstown$/);
  assert.ok(Array.isArray(droplet.inputs["sshKeys"]) && (droplet.inputs["sshKeys"] as string[]).length === 1);
  assert.deepEqual(droplet.propertyDependencies["sshKeys"], keys.map((k) => k.urn));
  assert.match((droplet.inputs["sshKeys"] as string[])[0] ?? "", /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/, "an MD5 fingerprint");
});

test("the reserved IP is assigned to the droplet and is the public address", async () => {
  const r = await prod();
  const [droplet, ip, assignment] = [one(r, T.droplet), one(r, T.reservedIp), one(r, T.ipAssignment)];
  assert.equal(ip.inputs["region"], "fra1");
  assert.equal(ip.inputs["dropletId"], undefined, "assigned separately, so the address survives the droplet");
  assert.deepEqual(assignment.propertyDependencies["dropletId"], [droplet.urn]);
  assert.deepEqual(assignment.propertyDependencies["ipAddress"], [ip.urn]);
  assert.equal(assignment.inputs["dropletId"], Number(droplet.id));
  assert.equal(assignment.inputs["ipAddress"], ip.id);
  assert.equal(r.outputs["publicIp"], ip.id);
  assert.equal(r.outputs["sshCommand"], `ssh deploy@${String(ip.id)}`);
  assert.equal(r.outputs["dropletId"], droplet.id);
  assert.equal(r.outputs["volumeId"], one(r, T.volume).id);
  assert.equal(r.outputs["volumeName"], "docstown-repos");
  assert.equal(r.outputs["vpcId"], one(r, T.vpc).id);
});

test("firewall: 22 from the operators only, 80/443 from Cloudflare's ranges (v4 + v6), nothing else in", async () => {
  const r = await prod();
  const rules = inbound(r);
  assert.deepEqual(sources(rules, "22"), ["203.0.113.10/32"]);
  const cloudflare = sorted([...CLOUDFLARE_V4, ...CLOUDFLARE_V6]);
  assert.deepEqual(sources(rules, "80"), cloudflare);
  assert.deepEqual(sources(rules, "443"), cloudflare);
  assert.deepEqual(rules.map((x) => `${x.protocol}/${x.portRange}`).sort(), ["tcp/22", "tcp/443", "tcp/80"]);
  for (const rule of rules) {
    assert.ok(!rule.sourceAddresses?.some((c) => c === "0.0.0.0/0" || c === "::/0"), `${rule.portRange} is not world-open`);
  }
});

test("firewall: outbound tcp/udp/icmp to the world (apt, image pulls, DNS, database, SMTP)", async () => {
  const out = one(await prod(), T.firewall).inputs["outboundRules"] as Rule[];
  for (const protocol of ["tcp", "udp", "icmp"]) {
    const rule = out.find((x) => x.protocol === protocol);
    assert.ok(rule, `${protocol} out`);
    assert.deepEqual(sorted(rule.destinationAddresses ?? []), ["0.0.0.0/0", "::/0"]);
    if (protocol !== "icmp") assert.equal(rule.portRange, "1-65535");
  }
});

test("firewall: applies to the droplet through a tag the droplet carries from creation", async () => {
  const r = await prod();
  const [firewall, droplet, tag] = [one(r, T.firewall), one(r, T.droplet), one(r, T.tag)];
  assert.deepEqual(firewall.inputs["tags"], [tag.id]);
  assert.ok((droplet.inputs["tags"] as string[]).includes(String(tag.id)));
  assert.deepEqual(firewall.propertyDependencies["tags"], [tag.urn]);
  assert.deepEqual(droplet.propertyDependencies["tags"], [tag.urn]);
  assert.ok((droplet.inputs["tags"] as string[]).includes("docstown-production"));
});

test("firewall: docstown:cloudflare.originCidrs replaces Cloudflare's ranges on 80/443 and only there", async () => {
  // A part of Cloudflare's ranges (anything outside them is refused: test/config/sources.test.ts).
  const override = ["173.245.48.0/21", "2606:4700:10::/48"];
  const r = await synthStack("production", { "docstown:cloudflare": JSON.stringify({ originCidrs: override }) });
  const rules = inbound(r);
  assert.deepEqual(sources(rules, "80"), sorted(override));
  assert.deepEqual(sources(rules, "443"), sorted(override));
  assert.deepEqual(sources(rules, "22"), ["203.0.113.10/32"]);
});

test("firewall: SSH sources follow docstown:operators.sshCidrs", async () => {
  const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC7iwlyD5cEPZw7bBIsHlTTcYk6rBmJ5MlsLoAOXpGRy replace-me-example@docstown";
  const operators = {
    sshPublicKeys: [key],
    bootstrapSshPublicKeys: [key],
    deployKey: "SHA256:xZ0kbkvVaQgeYdfZ6aqQZ4CSTiWhNUjJi9oDoL6McAU",
    sshCidrs: ["192.0.2.0/28", "2001:db8:1::/48"],
  };
  const r = await synthStack("production", { "docstown:operators": JSON.stringify(operators) });
  assert.deepEqual(sources(inbound(r), "22"), sorted(operators.sshCidrs));
});

test("the firewall refuses world-open sources even if handed them", () => {
  assert.throws(() => inboundRules({ sshCidrs: ["0.0.0.0/0"], httpCidrs: ["198.51.100.0/24"] }), /whole internet/);
  assert.throws(() => inboundRules({ sshCidrs: ["192.0.2.1/32"], httpCidrs: ["::/0"] }), /whole internet/);
  assert.throws(() => inboundRules({ sshCidrs: ["10.0.0.0/0"], httpCidrs: ["198.51.100.0/24"] }), /whole internet/, "any /0 is the world, whatever its address");
  assert.throws(() => inboundRules({ sshCidrs: ["192.0.2.1/32"], httpCidrs: ["::0/0"] }), /whole internet/);
  assert.throws(() => inboundRules({ sshCidrs: [], httpCidrs: ["198.51.100.0/24"] }), /at least one/);
});

test("user-data carries no secret: no placeholder value, no secret path, and mounts the volume", async () => {
  const r = await prodWithKey();
  const droplet = one(r, T.droplet);
  const userData = String(droplet.inputs["userData"]);
  assert.doesNotMatch(userData, /placeholder:/);
  assert.equal(isSecretPath(droplet, "userData"), false);
  assert.deepEqual(droplet.secretPaths, []);
  // Secrets do reach the server component (so the check above is not vacuous).
  const ready = one(r, T.command, "ready");
  assert.match(JSON.stringify(ready.inputs), /placeholder:deploySshPrivateKey/);
  const everywhere = r.resources.filter((x) => x.type.startsWith("digitalocean:") && JSON.stringify(x.inputs).includes("placeholder:"));
  assert.deepEqual(everywhere.filter((x) => x.parent?.includes("docstown:server:")).map((x) => x.name), [], "no server resource input holds a secret");
  const config = parse(userData) as { write_files: { path: string; content: string }[] };
  const unit = config.write_files.find((f) => f.path === "/etc/systemd/system/docstown-repos.service");
  assert.match(unit?.content ?? "", /scsi-0DO_Volume_docstown-repos \/data\/repos 1000:1000/);
});

test("readiness waits for the droplet, the IP assignment, the attachment; re-runs on a new droplet", async () => {
  const r = await prod();
  const [ready, droplet, assignment, attachment, ip] = [
    one(r, T.command, "ready"), one(r, T.droplet), one(r, T.ipAssignment), one(r, T.attachment), one(r, T.reservedIp),
  ];
  for (const dep of [droplet, assignment, attachment]) {
    assert.ok(ready.options.dependsOn.includes(dep.urn), `ready depends on ${dep.name}`);
  }
  assert.ok((ready.inputs["triggers"] as unknown[]).includes(droplet.id));
  assert.ok(ready.propertyDependencies["triggers"]?.includes(droplet.urn));
  const connection = ready.inputs["connection"] as Record<string, unknown>;
  assert.equal(connection["host"], ip.id);
  assert.equal(connection["user"], "deploy");
  assert.ok(Number(connection["dialErrorLimit"]) >= 60, "first boot takes minutes");
  const create = String(ready.inputs["create"]);
  assert.match(create, /cloud-init status --wait/);
  assert.match(create, /docker info/);
  assert.match(create, /mountpoint -q '\/data\/repos'/);
  assert.match(create, /ssh_host_ed25519_key\.pub/);
});

test("the deploy private key stays a secret; without it the connection falls back to the agent", async () => {
  const r = await prodWithKey();
  const ready = one(r, T.command, "ready");
  assert.equal((ready.inputs["connection"] as Record<string, unknown>)["privateKey"], "placeholder:deploySshPrivateKey");
  assert.ok(isSecretPath(ready, "connection.privateKey"));

  const connection = one(await prod(), T.command, "ready").inputs["connection"] as Record<string, unknown>;
  assert.equal(connection["privateKey"], undefined);
  assert.equal(connection["agentSocketPath"], undefined, "the provider reads SSH_AUTH_SOCK itself; a stored path would re-run the check per login");
});

test("known_hosts line pins the host key the readiness check printed", async () => {
  const r = await prod();
  const ip = String(one(r, T.reservedIp).id);
  assert.match(String(r.outputs["knownHostsLine"]), new RegExp(`^${ip.replace(/\./g, "\\.")} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]+=*$`));
});

function serverArgs(overrides: Partial<ServerArgs> = {}): ServerArgs {
  return {
    namePrefix: "docstown-test",
    region: "ams3",
    droplet: { size: "s-1vcpu-2gb", image: "ubuntu-24-04-x64", swapGb: 0, ipv6: true },
    volume: { name: "repos-test", sizeGb: 20, mountPath: "/srv/repos", snapshots: { keep: 7 }, keepOriginal: true },
    operators: {
      bootstrapSshPublicKeys: [
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOperatorOneKeyxxxxxxxxxxxxxxxxxxxxxxxxxxx ada@docstown",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOperatorTwoKeyxxxxxxxxxxxxxxxxxxxxxxxxxxx bob@docstown",
      ],
      sshCidrs: ["192.0.2.10/32"],
    },
    httpSourceCidrs: ["198.51.100.0/24"],
    tags: ["docstown", "docstown-test"],
    ...overrides,
  };
}

test("Server component: its own settings reach the droplet, the volume and the readiness check", async () => {
  let server: Server | undefined;
  const r = await recordProgram(() => {
    server = new Server("s", serverArgs());
    return { dockerHost: server.dockerHost, mountPath: server.mountPath };
  });
  const droplet = one(r, T.droplet);
  assert.equal(droplet.inputs["ipv6"], true);
  assert.equal(droplet.inputs["size"], "s-1vcpu-2gb");
  assert.equal(droplet.inputs["region"], "ams3");
  assert.equal((droplet.inputs["sshKeys"] as string[]).length, 2);
  assert.doesNotMatch(String(droplet.inputs["userData"]), /swapfile/, "swapGb 0: no swap");
  const volume = one(r, T.volume);
  assert.equal(volume.inputs["size"], 20);
  assert.equal(volume.inputs["name"], "repos-test");
  assert.equal(volume.options.protect, true);
  assert.match(String(one(r, T.command, "ready").inputs["create"]), /mountpoint -q '\/srv\/repos'/);
  assert.equal(r.outputs["mountPath"], "/srv/repos");
  const ip = String(one(r, T.reservedIp).id);
  assert.equal(r.outputs["dockerHost"], `ssh://deploy@${ip}`);
  // dockerHost comes out of the readiness command: unknown until it ran (pulumi-docker #139).
  assert.ok(server);
  const sourcesOfHost = await pulumi.getAllResources(server.dockerHost);
  assert.ok(sourcesOfHost.has(server.ready), "dockerHost depends on the readiness command");
});

test("SSH keys are named by their content: reordering operators changes nothing", async () => {
  const names = (res: SynthResult) => byType(res, T.sshKey).map((k: RecordedResource) => k.name).sort();
  const a = await recordProgram(() => new Server("s", serverArgs()));
  const args = serverArgs();
  const b = await recordProgram(() => new Server("s", { ...args, operators: { ...args.operators, bootstrapSshPublicKeys: [...(args.operators.bootstrapSshPublicKeys ?? [])].reverse() } }));
  assert.deepEqual(names(a), names(b));
  assert.equal(names(a).length, 2);
});
