import { z } from "zod";
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

function isIpv4(value: string): boolean {
  const parts = value.split(".");
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

function isIpv6(value: string): boolean {
  if (!/^[0-9a-f:]+$/i.test(value) || value.split("::").length > 2) return false;
  const groups = value.split(":").filter((g) => g !== "");
  return groups.every((g) => g.length <= 4) && (value.includes("::") ? groups.length < 8 : groups.length === 8);
}

/** True for an IPv4 or IPv6 network in CIDR notation (`203.0.113.0/24`, `2001:db8::/32`). */
export function isCidr(value: string): boolean {
  const [address, prefix, ...rest] = value.split("/");
  if (rest.length > 0 || address === undefined || prefix === undefined || !/^\d{1,3}$/.test(prefix)) return false;
  const bits = Number(prefix);
  if (isIpv4(address)) return bits <= 32;
  if (isIpv6(address)) return bits <= 128;
  return false;
}

/** A CIDR that admits the whole internet: any network with a /0 prefix, whatever its address. */
export function isWorldCidr(value: string): boolean {
  return /\/0+$/.test(value.trim());
}

export const domainName = z.string().refine(isDomainName, "must be a domain name such as docstown.org");
export const cidr = z.string().refine(isCidr, "must be an IPv4 or IPv6 network in CIDR notation, e.g. 203.0.113.7/32");
/** A CIDR that may be trusted: world-open networks are refused. */
export const restrictedCidr = cidr.refine((v) => !isWorldCidr(v), "must not open access to the whole internet (0.0.0.0/0 or ::/0)");
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
