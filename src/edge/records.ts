import type * as pulumi from "@pulumi/pulumi";
import { emailDnsRecords } from "../email/records";
import type { EmailConfig } from "../email/schema";
import { txtContent } from "./txt";

/** Cloudflare's "automatic" TTL; the only value a proxied record accepts. */
export const AUTOMATIC_TTL = 1;
/** Unproxied records (mail, CAA) change rarely; an hour spares resolvers without slowing a fix much. */
export const UNPROXIED_TTL = 3600;

export type DnsRecordType = "A" | "AAAA" | "CNAME" | "TXT" | "MX" | "CAA";

/** CAA `data` as the v6 provider takes it (flags/tag/value). */
export interface CaaData {
  flags: number;
  tag: "issue" | "issuewild";
  value: string;
}

/** One `cloudflare.DnsRecord`, before it is declared. */
export interface DnsRecordSpec {
  /** Resource-name suffix: the record becomes `${name}-${key}`. Stable across list reorderings. */
  key: string;
  type: DnsRecordType;
  /** Fully qualified, no trailing dot: the form Cloudflare returns, so there is no drift. */
  name: string;
  content?: pulumi.Input<string>;
  data?: CaaData;
  priority?: number;
  proxied: boolean;
  ttl: number;
  comment: string;
}

export interface WebRecordTargets {
  /** The reserved IPv4 address the droplet answers on. */
  ipv4: pulumi.Input<string>;
  /** The droplet's IPv6 address; no AAAA record without it. */
  ipv6?: pulumi.Input<string>;
}

const COMMENT = "managed by Pulumi (DocsTown)";

export function normalizeDomain(domain: string): string {
  return domain.toLowerCase().replace(/\.$/, "");
}

/** Apex A (and AAAA) to the origin and `www` as an alias of the apex, all behind Cloudflare's proxy. */
export function webRecords(domain: string, targets: WebRecordTargets): DnsRecordSpec[] {
  const apex = normalizeDomain(domain);
  const proxied = { proxied: true, ttl: AUTOMATIC_TTL, comment: `${COMMENT}: web` };
  const records: DnsRecordSpec[] = [{ key: "apex-a", type: "A", name: apex, content: targets.ipv4, ...proxied }];
  if (targets.ipv6 !== undefined) records.push({ key: "apex-aaaa", type: "AAAA", name: apex, content: targets.ipv6, ...proxied });
  records.push({ key: "www-cname", type: "CNAME", name: `www.${apex}`, content: apex, ...proxied });
  return records;
}

/**
 * CAA: only these authorities may issue for the domain (`issue`) and its wildcards
 * (`issuewild`). Keyed by issuer, so reordering the list replaces nothing.
 */
export function caaRecords(domain: string, issuers: readonly string[]): DnsRecordSpec[] {
  const apex = normalizeDomain(domain);
  const unique = [...new Set(issuers.map((i) => i.toLowerCase()))];
  return (["issue", "issuewild"] as const).flatMap((tag) =>
    unique.map((issuer) => ({
      key: `caa-${tag}-${issuer.replace(/[^a-z0-9]+/g, "-")}`,
      type: "CAA" as const,
      name: apex,
      data: { flags: 0, tag, value: issuer },
      proxied: false,
      ttl: UNPROXIED_TTL,
      comment: `${COMMENT}: caa`,
    })),
  );
}

/**
 * The provider's records from `emailDnsRecords`, exactly, as Cloudflare records: never proxied
 * (mail and DKIM lookups need the real targets), TXT quoted, keyed `email-<purpose>-<n>` with n
 * counting within the purpose in the order the provider lists them.
 */
export function emailRecords(domain: string, email: EmailConfig): DnsRecordSpec[] {
  const seen = new Map<string, number>();
  return emailDnsRecords(normalizeDomain(domain), email).map((record) => {
    const n = seen.get(record.purpose) ?? 0;
    seen.set(record.purpose, n + 1);
    const spec: DnsRecordSpec = {
      key: `email-${record.purpose}-${n}`,
      type: record.type,
      name: record.name,
      content: record.type === "TXT" ? txtContent(record.content) : record.content,
      proxied: false,
      ttl: UNPROXIED_TTL,
      comment: `${COMMENT}: email ${record.purpose}`,
    };
    if (record.priority !== undefined) spec.priority = record.priority;
    return spec;
  });
}

/**
 * Problems a zone would refuse or resolvers would mishandle: a CNAME must be alone at its
 * name (RFC 1034 §3.6.2), and two records may not share a resource name.
 */
export function recordProblems(records: readonly DnsRecordSpec[]): string[] {
  const problems: string[] = [];
  const keys = new Set<string>();
  for (const r of records) {
    if (keys.has(r.key)) problems.push(`two records are named ${r.key}`);
    keys.add(r.key);
  }
  for (const cname of records.filter((r) => r.type === "CNAME")) {
    const others = records.filter((r) => r !== cname && r.name === cname.name);
    if (others.length > 0) {
      problems.push(`${cname.name} has a CNAME (${cname.key}) and other records (${others.map((o) => o.key).join(", ")}); a CNAME must stand alone`);
    }
  }
  return problems;
}
