import type { PolicyResource, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { CLOUDFLARE_TYPES, RECORD_TYPES } from "./cloudflare-types";
import {
  type Read,
  UNKNOWN,
  isUnknownValue,
  plainProps,
  quote,
  readArray,
  readRecord,
  readString,
} from "./values";

/**
 * The zone's TLS (Prowler's Cloudflare checks): a ZoneSetting per rule for every zone with records,
 * set to the rule's value, and no resource that overrides it for part of the zone (a PageRule or a
 * configuration Ruleset setting `ssl`, a HostnameTlsSetting lowering `min_tls_version`).
 */

interface ZoneSettingRule {
  name: string;
  description: string;
  settingId: string;
  expected: string;
  isCompliant: (value: string) => boolean;
  /** Other resources that can override the setting for part of the zone. */
  overrides?: (resources: readonly PolicyResource[], report: ReportViolation) => void;
}

export function normalizeSettingId(id: string): string {
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

const ofTypes = (resources: readonly PolicyResource[], types: readonly string[]) => resources.filter((r) => types.includes(r.type));

/** A stack policy: every ZoneSetting `settingId` is compliant, and one exists for each zone with records. */
function zoneSettingPolicy(rule: ZoneSettingRule): StackValidationPolicy {
  const wanted = normalizeSettingId(rule.settingId);
  return {
    name: rule.name,
    description: rule.description,
    enforcementLevel: "mandatory",
    validateStack: (args, report) => {
      const settings = ofTypes(args.resources, [CLOUDFLARE_TYPES.zoneSetting]);
      const ids = settings.map((s) => ({ s, id: readString(plainProps(s.props), "settingId") }));
      const matching = ids.filter(({ id }) => typeof id === "string" && normalizeSettingId(id) === wanted).map(({ s }) => s);
      const maybe = ids.some(({ id }) => id === UNKNOWN);
      for (const setting of matching) {
        const value = settingValue(setting);
        if (value === UNKNOWN || (value !== undefined && rule.isCompliant(value))) continue;
        const got = value === undefined ? "no value" : quote(value);
        report(`zone setting ${quote(setting.name)} sets ${rule.settingId} to ${got}; it must be ${rule.expected}`, setting.urn);
      }
      rule.overrides?.(args.resources, report);
      const records = ofTypes(args.resources, RECORD_TYPES);
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

/** SSL modes a rule may set: Full (strict), or its SSL-only-origin-pull variant. */
const STRICT_SSL_MODES: ReadonlySet<string> = new Set(["strict", "origin_pull"]);

function sslOverrides(resources: readonly PolicyResource[], report: ReportViolation): void {
  const judge = (r: PolicyResource, where: string, ssl: Read<string>) => {
    if (ssl === UNKNOWN || ssl === undefined || STRICT_SSL_MODES.has(ssl.toLowerCase())) return;
    report(`${where} of ${quote(r.name)} sets ssl to ${quote(ssl)}, overriding the zone's Full (strict) for what it matches; remove it or set "strict"`, r.urn);
  };
  for (const rule of ofTypes(resources, [CLOUDFLARE_TYPES.pageRule])) {
    const actions = readRecord(plainProps(rule.props), "actions");
    if (actions !== UNKNOWN && actions !== undefined) judge(rule, "page rule actions", readString(actions, "ssl"));
  }
  for (const ruleset of ofTypes(resources, [CLOUDFLARE_TYPES.ruleset])) {
    const rules = readArray(plainProps(ruleset.props), "rules");
    if (rules === UNKNOWN || rules === undefined) continue;
    rules.forEach((rule, i) => {
      const parameters = readRecord(rule, "actionParameters");
      if (parameters !== UNKNOWN && parameters !== undefined) judge(ruleset, `ruleset rules[${i}].actionParameters`, readString(parameters, "ssl"));
    });
  }
}

const isTls12OrNewer = (value: string) => Number.parseFloat(value) >= 1.2;

function minTlsOverrides(resources: readonly PolicyResource[], report: ReportViolation): void {
  for (const setting of ofTypes(resources, [CLOUDFLARE_TYPES.hostnameTlsSetting])) {
    const props = plainProps(setting.props);
    const id = readString(props, "settingId");
    if (typeof id !== "string" || normalizeSettingId(id) !== "mintlsversion") continue;
    const value = settingValue(setting);
    if (value === UNKNOWN || (value !== undefined && isTls12OrNewer(value))) continue;
    const host = readString(props, "hostname");
    const shown = typeof host === "string" ? ` for ${host}` : "";
    report(`hostname TLS setting ${quote(setting.name)} sets min_tls_version${shown} to ${value === undefined ? "no value" : quote(value)}; it must be "1.2" or higher`, setting.urn);
  }
}

export const cloudflareSslStrict = zoneSettingPolicy({
  name: "cloudflare-ssl-strict",
  description:
    'The zone\'s SSL mode is Full (strict): ZoneSetting "ssl" is "strict", and no PageRule or Ruleset sets ssl to anything weaker, ' +
    "so Cloudflare verifies the origin certificate everywhere.",
  settingId: "ssl",
  expected: '"strict"',
  isCompliant: (value) => value === "strict",
  overrides: sslOverrides,
});

export const cloudflareMinTls = zoneSettingPolicy({
  name: "cloudflare-min-tls",
  description: 'The zone accepts TLS 1.2 or newer only: ZoneSetting "min_tls_version" is "1.2" or higher, and no HostnameTlsSetting lowers it.',
  settingId: "min_tls_version",
  expected: '"1.2" or higher',
  isCompliant: isTls12OrNewer,
  overrides: minTlsOverrides,
});

export const cloudflareAlwaysHttps = zoneSettingPolicy({
  name: "cloudflare-always-https",
  description: 'The zone redirects HTTP to HTTPS: ZoneSetting "always_use_https" is "on".',
  settingId: "always_use_https",
  expected: '"on"',
  isCompliant: (value) => value === "on",
});
