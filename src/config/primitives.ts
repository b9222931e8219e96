import { z } from "zod";
import { isWholeSpace, parseCidr, parseSource } from "../../policies/cidr";
import { CLOUDFLARE_RANGES, CLOUDFLARE_RANGES_CHECKED_ON } from "../../policies/cloudflare-ranges";
import { edgeSourceFindings } from "../../policies/sources";
import { sshPublicKeyProblem } from "./ssh-public-key";

/** DigitalOcean region slugs that offer droplets, volumes and managed databases. */
export const DO_REGIONS = [
  "nyc1", "nyc3", "sfo2", "sfo3", "ams3", "sgp1", "lon1", "fra1", "tor1", "blr1", "syd1", "atl1",
] as const;

const HOSTNAME_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

export function isDomainName(value: string): boolean {
  if (value.length > 253) return false;
  const labels = value.split(".");
  if (labels.length < 2) return false;
  const tld = labels[labels.length - 1] ?? "";
  return labels.every((l) => HOSTNAME_LABEL.test(l)) && /[a-z]/.test(tld);
}

/** True for an IPv4 or IPv6 network in CIDR notation (`203.0.113.0/24`, `2001:db8::/32`), host bits clear. */
export function isCidr(value: string): boolean {
  return parseCidr(value).ok;
}

/**
 * A CIDR that admits the whole internet: any network with a /0 prefix, whatever its address or
 * spelling (`0.0.0.0/00` included, although the parser refuses that spelling).
 */
export function isWorldCidr(value: string): boolean {
  const parsed = parseSource(value);
  return parsed.ok ? isWholeSpace(parsed.network) : /\/0+$/.test(value.trim());
}

export const CIDR_SHAPE = "must be an IPv4 or IPv6 network in CIDR notation, e.g. 203.0.113.7/32";
const WORLD = "must not open access to the whole internet (0.0.0.0/0 or ::/0)";

export const domainName = z.string().refine(isDomainName, "must be a domain name such as docstown.org");
/**
 * A network in CIDR notation, read by the project's one parser (policies/cidr.ts, shared with the
 * policy pack) and handed on in canonical form, so a spelling never becomes a firewall diff.
 */
export const cidr = z.string().transform((value, ctx) => {
  const parsed = parseCidr(value);
  if (parsed.ok) return parsed.text;
  // Any /0 is the world, whatever its address: say that rather than "host bits set".
  const message = parsed.hostBits ? (isWorldCidr(value) ? WORLD : parsed.problem) : `${CIDR_SHAPE} (${parsed.problem})`;
  ctx.addIssue({ code: "custom", message });
  return z.NEVER;
});
/** A CIDR that may be trusted: world-open networks are refused. */
export const restrictedCidr = cidr.refine((v) => !isWorldCidr(v), WORLD);
/** A source allowed on 80/443: inside Cloudflare's published ranges (the pack holds the copy). */
export const cloudflareOriginCidr = restrictedCidr.superRefine((v, ctx) => {
  if (isWorldCidr(v) || edgeSourceFindings([v], CLOUDFLARE_RANGES).length === 0) return;
  ctx.addIssue({
    code: "custom",
    message: `${v} is not inside Cloudflare's published ranges (policies/cloudflare-ranges.ts, checked ${CLOUDFLARE_RANGES_CHECKED_ON}); only Cloudflare's edge may reach 80/443`,
  });
});
export const email = z.string().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, "must be an email address");
export const absolutePath = z.string().regex(/^\/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$/, "must be an absolute path such as /data/repos");
/** An OpenSSH public key line whose key data decodes to a key DigitalOcean takes (./ssh-public-key.ts). */
export const sshPublicKey = z.string().superRefine((line, ctx) => {
  const problem = sshPublicKeyProblem(line);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
});
/** A Docker image repository without tag or digest, e.g. ghcr.io/docstown/docstown. */
export const imageRepository = z
  .string()
  .regex(/^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/, "must be an image repository without tag or digest, e.g. ghcr.io/docstown/docstown");
export const imageTag = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "must be a Docker tag such as latest or v1.2.3");
export const imageDigest = z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be sha256: followed by 64 hex digits");
/** A Docker image reference with tag or digest, e.g. caddy:2.8 or postgres:17@sha256:… */
export const imageReference = z
  .string()
  .regex(/^[a-z0-9]+([._/:-][a-z0-9]+)*(:[A-Za-z0-9_.-]+)?(@sha256:[0-9a-f]{64})?$/, "must be an image reference such as caddy:2.8");
