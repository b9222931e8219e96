import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  TYPES,
  UNKNOWN,
  isUnknownValue,
  quote,
  readArray,
  readString,
  references,
  resourcesOfType,
  validateResourceOfType,
} from "./values";
import { parseSource } from "./cidr";
import { databaseSourceConfigSchema, readSourceLimits, tooWide, union } from "./source-policy";
import { narrowSourceFindings } from "./sources";

/** Managed PostgreSQL: never deleted by accident, reachable only inside the VPC from the app droplet. */

export const databaseClusterProtected: ResourceValidationPolicy = {
  name: "database-cluster-protected",
  description: "The managed database cluster is protected: a replacement (name, engine, private network) would start empty.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(TYPES.databaseCluster, (_props, args, report) => {
    if (args.opts.protect) return;
    report(`database cluster ${quote(args.name)} is not protected (opts.protect); a replacement or deletion would destroy its data`);
  }),
};

export const databasePrivateNetwork: ResourceValidationPolicy = {
  name: "database-private-network",
  description: "The managed database cluster lives in the app's VPC (privateNetworkUuid), so the app reaches it privately.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(TYPES.databaseCluster, (props, args, report) => {
    const vpc = readString(props, "privateNetworkUuid");
    if (vpc === UNKNOWN || (vpc !== undefined && vpc.trim() !== "")) return;
    report(
      `database cluster ${quote(args.name)} has no privateNetworkUuid; set it to the app's VPC at creation ` +
        "(changing it later replaces the cluster with an empty one)",
    );
  }),
};

const TRUSTED_SOURCE_TYPES = new Set(["droplet", "tag"]);

export const databaseFirewallRestricted: ResourceValidationPolicy = {
  name: "database-firewall-restricted",
  description:
    "Database trusted sources name the app droplet (droplet or tag rule) and never the whole internet; ip_addr " +
    "rules are no wider than the configured prefix, each and all together.",
  enforcementLevel: "mandatory",
  configSchema: databaseSourceConfigSchema,
  validateResource: validateResourceOfType(TYPES.databaseFirewall, (props, args, report) => {
    const limits = readSourceLimits(args.getConfig<object>(), "database-firewall-restricted");
    const rules = readArray(props, "rules");
    if (rules === UNKNOWN) return;
    let trusted = false;
    let unknownType = false;
    const addresses: string[] = [];
    for (const rule of rules ?? []) {
      const type = readString(rule, "type");
      const value = readString(rule, "value");
      if (type === UNKNOWN || isUnknownValue(rule)) {
        unknownType = true;
        continue;
      }
      if (type !== undefined && TRUSTED_SOURCE_TYPES.has(type)) trusted = true;
      if (type === "ip_addr" && typeof value === "string") addresses.push(value);
    }
    const at = `database firewall ${quote(args.name)}`;
    for (const f of narrowSourceFindings(addresses, limits, parseSource)) {
      if (f.kind === "world") report(`${at} has rule ip_addr ${f.value}, which opens the database to the whole internet`);
      if (f.kind === "too-wide") report(`${at} has rule ip_addr ${tooWide(f)}`);
      if (f.kind === "unreadable") report(`${at} has rule ip_addr ${f.value}, which the pack cannot read (${f.problem}); it may admit anything`);
      if (f.kind === "union") report(`${at} ip_addr rules ${union(f)}`);
    }
    if (trusted || unknownType) return;
    report(`${at} has no droplet or tag rule; the app droplet must be a trusted source`);
  }),
};

export const databaseFirewallPresent: StackValidationPolicy = {
  name: "database-firewall-present",
  description: "Every managed database cluster has a DatabaseFirewall; without trusted sources it accepts connections from anywhere.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const firewalls = resourcesOfType(args.resources, TYPES.databaseFirewall);
    for (const cluster of resourcesOfType(args.resources, TYPES.databaseCluster)) {
      const links = firewalls.map((f) => references(f, "clusterId", cluster));
      if (links.some((l) => l !== false)) continue;
      report(
        `database cluster ${quote(cluster.name)} has no DatabaseFirewall; without trusted sources it accepts connections from any address`,
        cluster.urn,
      );
    }
  },
};
