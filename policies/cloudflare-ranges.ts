/**
 * Cloudflare's published edge ranges, the only sources allowed on the origin's 80/443: a copy of
 * https://www.cloudflare.com/ips-v4 and https://www.cloudflare.com/ips-v6 (the same list as the
 * API's GET /client/v4/ips), in Cloudflare's order.
 *
 * Checked on 2026-12-01 (from stored copies of public material; no live fetch was possible where
 * this was written). The list last changed in September 2023, when 2c0f:f248::/32 came back; the
 * change before was April 2021 (104.16.0.0/12 split into 104.16.0.0/13 and 104.24.0.0/14).
 *
 * The firewall itself takes the live list from the provider's `getIpRanges` at deploy time. This
 * copy is what the config check (`docstown:cloudflare.originCidrs`) and the policy pack compare
 * against, so when Cloudflare adds a range, `pulumi preview` says so (policy
 * firewall-inbound-restricted) until this copy is updated, or the pack's `cloudflareRanges`
 * config lists it.
 */

export const CLOUDFLARE_RANGES_CHECKED_ON = "2026-12-01";

export const CLOUDFLARE_IPV4_RANGES: readonly string[] = [
  "173.245.48.0/20",
  "103.21.244.0/22",
  "103.22.200.0/22",
  "103.31.4.0/22",
  "141.101.64.0/18",
  "108.162.192.0/18",
  "190.93.240.0/20",
  "188.114.96.0/20",
  "197.234.240.0/22",
  "198.41.128.0/17",
  "162.158.0.0/15",
  "104.16.0.0/13",
  "104.24.0.0/14",
  "172.64.0.0/13",
  "131.0.72.0/22",
];

export const CLOUDFLARE_IPV6_RANGES: readonly string[] = [
  "2400:cb00::/32",
  "2606:4700::/32",
  "2803:f800::/32",
  "2405:b500::/32",
  "2405:8100::/32",
  "2a06:98c0::/29",
  "2c0f:f248::/32",
];

export const CLOUDFLARE_RANGES: readonly string[] = [...CLOUDFLARE_IPV4_RANGES, ...CLOUDFLARE_IPV6_RANGES];
