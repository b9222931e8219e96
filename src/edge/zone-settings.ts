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
 * The zone settings DocsTown relies on, each behind its own switch because the zone may serve
 * other sites too. `ZoneSetting.value` is an untyped (dynamic) property, so the bridge passes
 * it to the API unchanged: nested keys must be the API's snake_case (`max_age`), not the
 * camelCase the generated docs show (pulumi/pulumi-cloudflare#1579: camelCase never converges).
 */
export function zoneSettings(cf: CloudflareSettings): ZoneSettingSpec[] {
  const settings: ZoneSettingSpec[] = [];
  // Full (strict): Cloudflare verifies the origin's certificate, the Origin CA one the proxy serves.
  if (cf.sslStrict) settings.push({ key: "ssl", settingId: "ssl", value: "strict" });
  if (cf.alwaysUseHttps) settings.push({ key: "always-use-https", settingId: "always_use_https", value: "on" });
  if (cf.minTls12) settings.push({ key: "min-tls-version", settingId: "min_tls_version", value: "1.2" });
  if (cf.tls13) settings.push({ key: "tls-1-3", settingId: "tls_1_3", value: "on" });
  if (cf.hsts) {
    settings.push({
      key: "hsts",
      settingId: "security_header",
      value: {
        strict_transport_security: {
          enabled: true,
          max_age: cf.hstsMaxAgeSeconds,
          include_subdomains: true,
          nosniff: true,
          // Preload lists are near-permanent; submitting the domain is an operator's decision.
          preload: false,
        },
      },
    });
  }
  return settings;
}
