import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  TYPES,
  UNKNOWN,
  type Unknown,
  isUnknownValue,
  plainProps,
  quote,
  readArray,
  readBoolean,
  readString,
  readStrings,
  references,
  resourcesOfType,
  validateResourceOfType,
} from "./values";
import { parseSource } from "./cidr";
import { edgeMessages, firewallSourceConfigSchema, readSourceLimits, sshFindings, tooWide, union, unreadable } from "./source-policy";

/** The droplet and its cloud firewall (Checkov CKV_DIO_2/4, Trivy DIG-0001/0004). */

export const dropletSshKeys: ResourceValidationPolicy = {
  name: "droplet-ssh-keys",
  description: "Droplets are created with SSH keys, so DigitalOcean never sets and emails a root password.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(TYPES.droplet, (props, args, report) => {
    const keys = readArray(props, "sshKeys");
    if (keys === UNKNOWN || (keys !== undefined && keys.length > 0)) return;
    report(`droplet ${quote(args.name)} has no sshKeys; DigitalOcean would email a root password and allow password login`);
  }),
};

export const dropletMonitoring: ResourceValidationPolicy = {
  name: "droplet-monitoring",
  description: "Droplets run the DigitalOcean monitoring agent, which the CPU, memory and disk alerts need.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(TYPES.droplet, (props, args, report) => {
    const monitoring = readBoolean(props, "monitoring");
    if (monitoring === UNKNOWN || monitoring === true) return;
    report(`droplet ${quote(args.name)} does not enable monitoring; the CPU, memory and disk alerts need the DigitalOcean agent`);
  }),
};

const ALLOWED_PORTS: readonly number[] = [22, 80, 443];
const SSH_PORT = 22;
const FORBIDDEN_PORTS: readonly { port: number; service: string }[] = [
  { port: 2375, service: "Docker API" },
  { port: 2376, service: "Docker API over TLS" },
  { port: 5432, service: "PostgreSQL" },
];

/** `"22"`, `"8000-9000"`, `"all"`/empty/`"0"` (every port). Unreadable ranges count as every port. */
export function parsePortRange(range: string | undefined): [number, number] {
  const value = (range ?? "").trim().toLowerCase();
  const all: [number, number] = [1, 65535];
  if (value === "" || value === "all" || value === "0") return all;
  const match = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(value);
  if (!match) return all;
  const low = Number(match[1]);
  const high = match[2] === undefined ? low : Number(match[2]);
  return low <= high ? [low, high] : [high, low];
}

function covers([low, high]: [number, number], port: number): boolean {
  return low <= port && port <= high;
}

function opensOtherPorts(range: [number, number]): boolean {
  const allowedInside = ALLOWED_PORTS.filter((p) => covers(range, p)).length;
  return range[1] - range[0] + 1 > allowedInside;
}

const WEB_PORTS: readonly number[] = [80, 443];

interface InboundRule {
  label: string;
  range: [number, number];
  protocol: string;
  /** Known sources; undefined when unset or unknown (preview). */
  sources: string[] | undefined;
}

function readInboundRules(rules: readonly unknown[]): InboundRule[] {
  const read: InboundRule[] = [];
  for (const rule of rules) {
    const protocol = readString(rule, "protocol");
    if (isUnknownValue(rule) || protocol === UNKNOWN || protocol === undefined || protocol.toLowerCase() === "icmp") continue;
    const portRange = readString(rule, "portRange");
    if (portRange === UNKNOWN) continue;
    const sources = readStrings(rule, "sourceAddresses");
    read.push({
      label: `${protocol} ${portRange ?? "all"}`,
      range: parsePortRange(portRange),
      protocol: protocol.toLowerCase(),
      sources: sources === UNKNOWN ? undefined : sources,
    });
  }
  return read;
}

const coversSsh = (r: InboundRule) => r.protocol === "tcp" && covers(r.range, SSH_PORT);

export const firewallInboundRestricted: ResourceValidationPolicy = {
  name: "firewall-inbound-restricted",
  description:
    "Cloud firewalls open inbound only 80/443 (from Cloudflare's published ranges) and SSH (22), never SSH " +
    "from the whole internet or from wider networks than the configured prefix (each, and all together), " +
    "and never PostgreSQL (5432) or the Docker API (2375/2376), including through port ranges.",
  enforcementLevel: "mandatory",
  configSchema: firewallSourceConfigSchema,
  validateResource: validateResourceOfType(TYPES.firewall, (props, args, report) => {
    const limits = readSourceLimits(args.getConfig<object>(), "firewall-inbound-restricted");
    const list = readArray(props, "inboundRules");
    if (list === UNKNOWN || list === undefined) return;
    const rules = readInboundRules(list);
    const sshRules = rules.filter(coversSsh);
    const ssh = sshFindings(sshRules.map((r) => ({ sources: r.sources ?? [] })), limits);
    for (const rule of rules) {
      const at = `firewall ${quote(args.name)} inbound rule ${rule.label}`;
      if (opensOtherPorts(rule.range)) {
        const forbidden = FORBIDDEN_PORTS.filter((f) => covers(rule.range, f.port)).map((f) => `${f.port} ${f.service}`);
        const including = forbidden.length > 0 ? ` (including ${forbidden.join(", ")})` : "";
        report(`${at} opens ports other than 22, 80 and 443${including}`);
      }
      const findings = coversSsh(rule) ? (ssh.perRule[sshRules.indexOf(rule)] ?? []) : [];
      const open = findings.filter((f) => f.kind === "world").map((f) => f.value);
      if (open.length > 0) report(`${at} allows SSH from ${open.join(", ")}; restrict it to operator addresses`);
      for (const f of findings) {
        if (f.kind === "too-wide") report(`${at} allows SSH from ${tooWide(f)}`);
        if (f.kind === "unreadable") report(`${at} has source ${unreadable(f)}`);
      }
      if (rule.sources === undefined || !WEB_PORTS.some((p) => covers(rule.range, p))) continue;
      // Sources the SSH check already called unreadable are not reported twice.
      const sources = findings.some((f) => f.kind === "unreadable") ? rule.sources.filter((v) => parseSource(v).ok) : rule.sources;
      for (const message of edgeMessages(sources, limits.cloudflareRanges)) report(`${at} ${message}`);
    }
    for (const f of ssh.union) {
      if (f.kind === "union") report(`firewall ${quote(args.name)} inbound rules covering SSH (tcp 22) ${union(f)}`);
    }
  }),
};

function tagsOverlap(firewall: PolicyResource, droplet: PolicyResource): boolean | Unknown {
  const firewallTags = readStrings(plainProps(firewall.props), "tags");
  const dropletTags = readStrings(plainProps(droplet.props), "tags");
  if (firewallTags === UNKNOWN || dropletTags === UNKNOWN) return UNKNOWN;
  return (firewallTags ?? []).some((t) => (dropletTags ?? []).includes(t));
}

export const dropletFirewallAttached: StackValidationPolicy = {
  name: "droplet-firewall-attached",
  description: "Every droplet is covered by a cloud firewall (by dropletIds or tags); Docker-published ports bypass the host's own firewall.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const firewalls = resourcesOfType(args.resources, TYPES.firewall);
    for (const droplet of resourcesOfType(args.resources, TYPES.droplet)) {
      const covered = firewalls.some((f) => references(f, "dropletIds", droplet) !== false || tagsOverlap(f, droplet) !== false);
      if (covered) continue;
      report(
        `droplet ${quote(droplet.name)} is not covered by any Firewall (dropletIds or tags); every port Docker publishes would be reachable from the internet`,
        droplet.urn,
      );
    }
  },
};
