import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  TYPES,
  UNKNOWN,
  type Read,
  isUnknownValue,
  plainProps,
  quote,
  readBoolean,
  readString,
  resourcesOfType,
  validateResourceOfType,
} from "./values";

/** Cloudflare in front of the origin (Prowler's Cloudflare checks): proxied web records, strict TLS. */

/**
 * Web hostnames among CNAMEs: the apex (`@`, or a two-label name such as `docstown.org`) and `www`.
 * Cloudflare's `name` is a full name or `@`, so without the zone name a two-label name is taken for
 * the apex; other CNAMEs (DKIM, return-path, verification records) must stay DNS-only.
 */
export function isApexOrWww(name: string): boolean {
  const host = name.trim().toLowerCase().replace(/\.$/, "");
  return host === "@" || host === "www" || host.startsWith("www.") || host.split(".").length === 2;
}

export const cloudflareWebRecordsProxied: ResourceValidationPolicy = {
  name: "cloudflare-web-records-proxied",
  description: "A/AAAA records, and CNAMEs at the apex or www, are proxied through Cloudflare (the origin only accepts Cloudflare's ranges).",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(TYPES.dnsRecord, (props, args, report) => {
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

interface ZoneSettingRule {
  name: string;
  description: string;
  settingId: string;
  expected: string;
  isCompliant: (value: string) => boolean;
}

function normalizeSettingId(id: string): string {
  return id.toLowerCase().replace(/[_-]/g, "");
}

function settingValue(setting: PolicyResource): Read<string> {
  const value = plainProps(setting.props)["value"];
  if (isUnknownValue(value)) return UNKNOWN;
  if (typeof value === "string" || typeof value === "number") return String(value);
  return undefined;
}

function zoneOf(resource: PolicyResource): Read<string> {
  return readString(plainProps(resource.props), "zoneId");
}

/** A stack policy: every ZoneSetting `settingId` is compliant, and one exists for each zone with records. */
function zoneSettingPolicy(rule: ZoneSettingRule): StackValidationPolicy {
  const wanted = normalizeSettingId(rule.settingId);
  return {
    name: rule.name,
    description: rule.description,
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
      const settings = resourcesOfType(args.resources, TYPES.zoneSetting);
      const ids = settings.map((s) => ({ s, id: readString(plainProps(s.props), "settingId") }));
      const matching = ids.filter(({ id }) => typeof id === "string" && normalizeSettingId(id) === wanted).map(({ s }) => s);
      const maybe = ids.some(({ id }) => id === UNKNOWN);
      for (const setting of matching) {
        const value = settingValue(setting);
        if (value === UNKNOWN || (value !== undefined && rule.isCompliant(value))) continue;
        const got = value === undefined ? "no value" : quote(value);
        report(`zone setting ${quote(setting.name)} sets ${rule.settingId} to ${got}; it must be ${rule.expected}`, setting.urn);
      }
      const records = resourcesOfType(args.resources, TYPES.dnsRecord);
      if (records.length === 0 || maybe) return;
      const settingZones = matching.map(zoneOf);
      const covers = (zone: Read<string>) =>
        typeof zone === "string" ? settingZones.some((z) => z === zone || z === UNKNOWN) : matching.length > 0;
      // Named zones first, then the records whose zone cannot be told.
      const zones = [...new Set(records.map(zoneOf))].filter((z) => !covers(z)).sort((a, b) => Number(typeof a !== "string") - Number(typeof b !== "string"));
      for (const zone of zones) {
        const where = typeof zone === "string" ? `zone ${quote(zone)} has DNS records in this stack` : "the stack has DNS records";
        report(`${where} but no ZoneSetting ${rule.settingId}; declare one set to ${rule.expected}`);
      }
    },
  };
}

export const cloudflareSslStrict = zoneSettingPolicy({
  name: "cloudflare-ssl-strict",
  description: 'The zone\'s SSL mode is Full (strict): ZoneSetting "ssl" is "strict", so Cloudflare verifies the origin certificate.',
  settingId: "ssl",
  expected: '"strict"',
  isCompliant: (value) => value === "strict",
});

export const cloudflareMinTls = zoneSettingPolicy({
  name: "cloudflare-min-tls",
  description: 'The zone accepts TLS 1.2 or newer only: ZoneSetting "min_tls_version" is "1.2" or higher.',
  settingId: "min_tls_version",
  expected: '"1.2" or higher',
  isCompliant: (value) => Number.parseFloat(value) >= 1.2,
});

export const cloudflareAlwaysHttps = zoneSettingPolicy({
  name: "cloudflare-always-https",
  description: 'The zone redirects HTTP to HTTPS: ZoneSetting "always_use_https" is "on".',
  settingId: "always_use_https",
  expected: '"on"',
  isCompliant: (value) => value === "on",
});
