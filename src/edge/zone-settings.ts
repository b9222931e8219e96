import type { CloudflareSettings } from "../config/schema";

/** HSTS as Cloudflare's `security_header` setting holds it. */
export interface StrictTransportSecurity {
  enabled: boolean;
  max_age: number;
  include_subdomains: boolean;
  nosniff: boolean;
  preload: boolean;
}

export type ZoneSettingValue = string | { strict_transport_security: StrictTransportSecurity };

/** One `cloudflare.ZoneSetting`: `settingId` is the API's setting name. */
export interface ZoneSettingSpec {
  /** Resource-name suffix: `${name}-setting-${key}`. */
  key: string;
  settingId: string;
  value: ZoneSettingValue;
}

/**
 * HSTS switched off the way Cloudflare's "Disable HSTS" procedure leaves it: a max-age of 0, which
 * tells a browser to forget the HTTPS-only rule it learnt (no header at all would leave that rule in
 * place for the old max-age, a year by default), no subdomains, no preload, the No-Sniff header off.
 */
export const HSTS_OFF: StrictTransportSecurity = { enabled: true, max_age: 0, include_subdomains: false, nosniff: false, preload: false };

/** The switches of `docstown:cloudflare`, each with the setting it owns and its value on and off. */
export const ZONE_SWITCHES = {
  // Off is Full, not Off or Flexible: the proxy serves only HTTPS (Flexible would loop on its
  // redirect), and authenticated origin pulls need Full or higher.
  sslStrict: { key: "ssl", settingId: "ssl", on: "strict", off: "full" },
  alwaysUseHttps: { key: "always-use-https", settingId: "always_use_https", on: "on", off: "off" },
  // Off is Cloudflare's default minimum.
  minTls12: { key: "min-tls-version", settingId: "min_tls_version", on: "1.2", off: "1.0" },
  tls13: { key: "tls-1-3", settingId: "tls_1_3", on: "on", off: "off" },
} as const satisfies Record<string, { key: string; settingId: string; on: string; off: string }>;

/**
 * The zone settings DocsTown relies on, each behind its own switch. Every setting is declared
 * whether its switch is on or off, with the on or the off value: Cloudflare's provider does
 * nothing when a `ZoneSetting` is deleted (terraform-provider-cloudflare, zone_setting Delete),
 * so a setting dropped from the program would stay live at Cloudflare. Switching is an update of
 * the same resource, never a delete.
 *
 * `ZoneSetting.value` is an untyped (dynamic) property, so the bridge passes it to the API
 * unchanged: nested keys must be the API's snake_case (`max_age`), not the camelCase the
 * generated docs show (pulumi/pulumi-cloudflare#1579: camelCase never converges).
 */
export function zoneSettings(cf: CloudflareSettings): ZoneSettingSpec[] {
  const settings: ZoneSettingSpec[] = Object.entries(ZONE_SWITCHES).map(([flag, s]) => ({
    key: s.key,
    settingId: s.settingId,
    value: cf[flag as keyof typeof ZONE_SWITCHES] ? s.on : s.off,
  }));
  settings.push({
    key: "hsts",
    settingId: "security_header",
    value: {
      strict_transport_security: cf.hsts
        ? {
            enabled: true,
            max_age: cf.hstsMaxAgeSeconds,
            include_subdomains: true,
            nosniff: true,
            // Preload lists are near-permanent; submitting the domain is an operator's decision.
            preload: false,
          }
        : { ...HSTS_OFF },
    },
  });
  return settings;
}
