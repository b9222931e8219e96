import type { ResourceValidation, ResourceValidationPolicy } from "@pulumi/policy";
import { KNOWN_CLOUDFLARE_TYPES, RECORD_TYPES, isCloudflareType } from "./cloudflare-types";
import { type TypedValidation, UNKNOWN, plainProps, quote, readBoolean, readString } from "./values";

/** Cloudflare in front of the origin (Prowler's Cloudflare checks): proxied web records, known resource types. */

export { cloudflareAlwaysHttps, cloudflareMinTls, cloudflareSslStrict } from "./cloudflare-tls";

/**
 * Web hostnames among CNAMEs: the apex (`@`, or a two-label name such as `docstown.org`) and `www`.
 * Cloudflare's `name` is a full name or `@`, so without the zone name a two-label name is taken for
 * the apex; other CNAMEs (DKIM, return-path, verification records) must stay DNS-only.
 */
export function isApexOrWww(name: string): boolean {
  const host = name.trim().toLowerCase().replace(/\.$/, "");
  return host === "@" || host === "www" || host.startsWith("www.") || host.split(".").length === 2;
}

/** `validateResourceOfType` for several type tokens (no `__pulumiType` fast path: CrossGuard calls it for each resource). */
function validateResourceOfTypes(types: readonly string[], validate: TypedValidation): ResourceValidation {
  return (args, report) => {
    if (!types.includes(args.type)) return args.notApplicable(`Policy only applies to resources of types ${types.map((t) => `'${t}'`).join(", ")}`);
    return validate(plainProps(args.props), args, report);
  };
}

export const cloudflareWebRecordsProxied: ResourceValidationPolicy = {
  name: "cloudflare-web-records-proxied",
  description:
    "A/AAAA records, and CNAMEs at the apex or www, are proxied through Cloudflare (the origin only accepts Cloudflare's ranges); " +
    "DnsRecord and the older Record type alike.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfTypes(RECORD_TYPES, (props, args, report) => {
    const type = readString(props, "type");
    const name = readString(props, "name");
    if (type === UNKNOWN || type === undefined) return;
    const kind = type.toUpperCase();
    if (kind === "CNAME" && (name === UNKNOWN || name === undefined || !isApexOrWww(name))) return;
    if (kind !== "A" && kind !== "AAAA" && kind !== "CNAME") return;
    const proxied = readBoolean(props, "proxied");
    if (proxied === UNKNOWN || proxied === true) return;
    const shown = name === UNKNOWN || name === undefined ? "" : ` ${name}`;
    report(`DNS record ${quote(args.name)} (${kind}${shown}) is not proxied; web traffic must pass through Cloudflare`);
  }),
};

export const cloudflareKnownResourceTypes: ResourceValidationPolicy = {
  name: "cloudflare-known-resource-types",
  description:
    "Every Cloudflare resource is of a type the pack has judged: one it checks (DnsRecord, Record, ZoneSetting, PageRule, Ruleset, " +
    "HostnameTlsSetting) or one that can neither publish a hostname nor weaken the zone's TLS.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!isCloudflareType(args.type)) return args.notApplicable("Policy only applies to Cloudflare resources");
    if (KNOWN_CLOUDFLARE_TYPES.has(args.type)) return;
    report(
      `Cloudflare resource ${quote(args.name)} has type ${args.type}, which the policy pack does not know; it could publish an unproxied ` +
        "hostname or weaken the zone's TLS unseen. Judge the type in policies/cloudflare-types.ts (and a rule) before using it",
    );
  },
};
