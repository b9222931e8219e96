import { TYPES } from "./values";

/**
 * The Cloudflare resource types the pack knows. Every other `cloudflare:` type is refused
 * (`cloudflare-known-resource-types`): a type the pack never read could publish an unproxied
 * hostname (LoadBalancer, SpectrumApplication, CustomHostname...) or weaken the zone's TLS, and
 * would pass every rule unseen. Judge a new type here, and in a rule if it can do either, before using it.
 */
export const CLOUDFLARE_TYPES = {
  dnsRecord: TYPES.dnsRecord,
  /** The v5 name, still shipped in v6 (`cloudflare.Record`): it creates DNS records just the same. */
  record: "cloudflare:index/record:Record",
  zoneSetting: TYPES.zoneSetting,
  /** `actions.ssl` overrides the zone's SSL mode for the URLs its target matches. */
  pageRule: "cloudflare:index/pageRule:PageRule",
  /** Configuration rules (`http_config_settings`): `rules[].actionParameters.ssl` overrides the SSL mode. */
  ruleset: "cloudflare:index/ruleset:Ruleset",
  /** Per-hostname `min_tls_version`, `ciphers`, `http2`: overrides the zone's minimum TLS version. */
  hostnameTlsSetting: "cloudflare:index/hostnameTlsSetting:HostnameTlsSetting",
} as const;

/** Types that create DNS records. */
export const RECORD_TYPES: readonly string[] = [CLOUDFLARE_TYPES.dnsRecord, CLOUDFLARE_TYPES.record];

/** Types judged by a rule above, plus those that can neither publish a hostname nor lower TLS. */
export const KNOWN_CLOUDFLARE_TYPES: ReadonlySet<string> = new Set([
  ...Object.values(CLOUDFLARE_TYPES),
  "cloudflare:index/zone:Zone",
  "cloudflare:index/zoneDnssec:ZoneDnssec",
  "cloudflare:index/originCaCertificate:OriginCaCertificate",
  // Authenticated origin pulls: Cloudflare presents a client certificate to the origin; stricter only.
  "cloudflare:index/authenticatedOriginPulls:AuthenticatedOriginPulls",
  "cloudflare:index/authenticatedOriginPullsCertificate:AuthenticatedOriginPullsCertificate",
  "cloudflare:index/authenticatedOriginPullsHostnameCertificate:AuthenticatedOriginPullsHostnameCertificate",
  "cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings",
]);

export function isCloudflareType(type: string): boolean {
  return type.startsWith("cloudflare:");
}
