/**
 * What an SSH opening for one workflow run is, and how to recognise one. Pure.
 *
 * The opening is its own DigitalOcean firewall, not a rule in the stack's firewall: the cloud
 * applies every firewall on a droplet's tag as a union, so the stack's firewall (and the drift
 * check that compares it with the state) never sees it, and a concurrent `pulumi up` cannot remove
 * it mid-run. A firewall applies to a tag but is not a tagged resource (the API reference: tags
 * apply to droplets, images, volumes, volume snapshots and database clusters), so the tag's resource
 * counts, which a refresh reads, do not change either.
 *
 * Ours are recognised by name and shape together: the name is `docstown-runner-<run id>-<attempt>-
 * <job>`, and the firewall holds only TCP 22 from one address (/32 or /128) on tags, no outbound
 * rule, no droplet ids. A firewall with our name and another shape is left alone: we did not make it.
 */
import { isIP } from "node:net";
import type { Firewall, FirewallRequest } from "./do-firewalls";

export const OPENING_PREFIX = "docstown-runner-";
const NAME = /^docstown-runner-(\d{1,20})-(\d{1,4})-([a-z0-9][a-z0-9-]{0,30})$/;

/**
 * How old an opening must be before the sweeper removes it: 90 minutes. The jobs that open one
 * stop after at most 60 (deploy.yml `timeout-minutes`; the drift job 30), and close it before
 * they end; 90 leaves room for the close step itself and clock skew. test/workflows checks that
 * every opening job's timeout stays below it.
 */
export const SWEEP_AFTER_MINUTES = 90;

export class OpeningError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OpeningError";
  }
}

/** The opening's name for a run: GitHub's run id and attempt, and the job. */
export function openingName(run: { runId: string; attempt: string; job: string }): string {
  const name = `${OPENING_PREFIX}${run.runId}-${run.attempt}-${run.job}`;
  if (!NAME.test(name)) {
    throw new OpeningError(`cannot name an opening for run "${run.runId}", attempt "${run.attempt}", job "${run.job}": run id and attempt must be numbers, the job lower-case letters, digits and dashes`);
  }
  return name;
}

/** The one address as a host prefix: /32 for IPv4, /128 for IPv6. */
export function hostCidr(address: string): string {
  const trimmed = address.trim();
  const family = isIP(trimmed);
  if (family === 4) return `${trimmed}/32`;
  if (family === 6) return `${trimmed.toLowerCase()}/128`;
  throw new OpeningError(`"${address.slice(0, 60)}" is not an IPv4 or IPv6 address`);
}

/**
 * `tag` is one tag or several joined by commas (a tag name holds no comma): a stack with web hosts
 * has two firewall tags, the volume host's and the web hosts', and the deploy reaches them all.
 */
export function openingRequest(name: string, address: string, tag: string): FirewallRequest {
  if (!NAME.test(name)) throw new OpeningError(`"${name}" is not an opening name (${OPENING_PREFIX}<run id>-<attempt>-<job>)`);
  const tags = tag.split(",");
  for (const t of tags) if (!/^[A-Za-z0-9:_.-]{1,255}$/.test(t)) throw new OpeningError(`"${t}" is not a DigitalOcean tag name`);
  return {
    name,
    inbound_rules: [{ protocol: "tcp", ports: "22", sources: { addresses: [hostCidr(address)] } }],
    tags,
  };
}

function isHostPrefix(cidr: string): boolean {
  const [ip, bits, extra] = cidr.split("/");
  if (extra !== undefined || ip === undefined) return false;
  const family = isIP(ip);
  return (family === 4 && bits === "32") || (family === 6 && bits === "128");
}

/** Whether this firewall has the name and the shape of an opening we make. */
export function isOurs(firewall: Firewall): boolean {
  if (!NAME.test(firewall.name)) return false;
  const inbound = firewall.inbound_rules ?? [];
  if (inbound.length !== 1) return false;
  const rule = inbound[0]!;
  const sources = rule.sources ?? {};
  const addresses = sources.addresses ?? [];
  const onlyAddresses = (sources.tags ?? []).length === 0 && (sources.droplet_ids ?? []).length === 0 && (sources.load_balancer_uids ?? []).length === 0;
  return rule.protocol === "tcp" && rule.ports === "22" && addresses.length === 1 && isHostPrefix(addresses[0]!) && onlyAddresses
    && (firewall.outbound_rules ?? []).length === 0 && (firewall.droplet_ids ?? []).length === 0 && (firewall.tags ?? []).length > 0;
}

/** Age in minutes at `now`, or undefined when DigitalOcean's `created_at` is not a time. */
export function ageMinutes(firewall: Firewall, now: Date): number | undefined {
  const created = Date.parse(firewall.created_at);
  return Number.isNaN(created) ? undefined : (now.getTime() - created) / 60_000;
}

export interface SweepPlan {
  /** Ours and older than the bound: to delete. */
  readonly remove: readonly Firewall[];
  /** Ours but younger: a job may still be using them. */
  readonly keep: readonly Firewall[];
  /** Named like ours but not shaped like ours (or without a creation time): never touched, reported. */
  readonly suspicious: readonly Firewall[];
}

export function planSweep(firewalls: readonly Firewall[], now: Date, olderThanMinutes: number = SWEEP_AFTER_MINUTES): SweepPlan {
  const remove: Firewall[] = [];
  const keep: Firewall[] = [];
  const suspicious: Firewall[] = [];
  for (const firewall of firewalls) {
    if (!firewall.name.startsWith(OPENING_PREFIX)) continue;
    const age = ageMinutes(firewall, now);
    if (!isOurs(firewall) || age === undefined) suspicious.push(firewall);
    else if (age > olderThanMinutes) remove.push(firewall);
    else keep.push(firewall);
  }
  return { remove, keep, suspicious };
}
