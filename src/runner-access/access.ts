/**
 * Open, close and sweep the runner's SSH openings through the DigitalOcean API.
 *
 * - open: creates the run's firewall, then waits until DigitalOcean reports it applied (a create
 *   returns while the rules are still `waiting`). A failure deletes what it created, so a job whose
 *   open failed leaves nothing behind and never reaches `pulumi up`.
 * - close: deletes every firewall with the run's name that is ours (a retried create may have made
 *   two); none is not an error (the open may have failed before creating one). Any failed delete
 *   is an error: the job must fail loudly, and the sweeper removes the leftover later.
 * - sweep: deletes ours older than the bound; never touches another firewall.
 */
import { DigitalOceanError, type Firewall, type FirewallApi } from "./do-firewalls";
import { isOurs, openingRequest, planSweep, SWEEP_AFTER_MINUTES } from "./openings";

export type Log = (line: string) => void;

export interface OpenOptions {
  readonly name: string;
  readonly address: string;
  readonly tag: string;
  /** How long to wait for DigitalOcean to apply the rules. */
  readonly applyTimeoutMs?: number;
  readonly pollMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function applied(firewall: Firewall): boolean {
  return firewall.status === "succeeded" && (firewall.pending_changes ?? []).length === 0;
}

export async function openAccess(api: FirewallApi, options: OpenOptions, log: Log): Promise<Firewall> {
  const request = openingRequest(options.name, options.address, options.tag);
  const created = await api.create(request);
  log(`opened ${request.inbound_rules[0]!.sources.addresses![0]} on tcp/22 for tag ${options.tag}: firewall ${created.name} (${created.id})`);
  try {
    const deadline = Date.now() + (options.applyTimeoutMs ?? 120_000);
    let current = created;
    while (!applied(current)) {
      if (current.status === "failed") throw new DigitalOceanError(0, `DigitalOcean reports firewall ${current.id} as failed`);
      if (Date.now() > deadline) throw new DigitalOceanError(0, `firewall ${current.id} still ${current.status} after ${Math.round((options.applyTimeoutMs ?? 120_000) / 1000)} s`);
      await sleep(options.pollMs ?? 2_000);
      current = await api.get(created.id);
    }
    log(`applied: status ${current.status}, no pending changes`);
    return current;
  } catch (error) {
    try {
      await api.remove(created.id);
      log(`removed ${created.name} (${created.id}) again`);
    } catch (cleanup) {
      log(`could not remove ${created.name} (${created.id}): ${cleanup instanceof Error ? cleanup.message : String(cleanup)}; the sweeper will`);
    }
    throw error;
  }
}

export interface CloseResult {
  readonly removed: readonly string[];
}

export async function closeAccess(api: FirewallApi, name: string, log: Log): Promise<CloseResult> {
  const mine = (await api.list()).filter((f) => f.name === name);
  const ours = mine.filter(isOurs);
  for (const other of mine.filter((f) => !isOurs(f))) log(`left alone: ${other.name} (${other.id}) has the run's name but not the shape of an opening`);
  if (ours.length === 0) {
    log(`nothing to close: no opening named ${name}`);
    return { removed: [] };
  }
  const removed: string[] = [];
  const failures: string[] = [];
  for (const firewall of ours) {
    try {
      await api.remove(firewall.id);
      removed.push(firewall.id);
      log(`closed ${firewall.name} (${firewall.id})`);
    } catch (error) {
      failures.push(`${firewall.id}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (failures.length > 0) {
    throw new DigitalOceanError(0, `could not close ${failures.length} opening(s) named ${name} (${failures.join("; ")}); the sweeper removes it once older than ${SWEEP_AFTER_MINUTES} minutes, or see docs/first-deploy.md, "A stuck runner opening"`);
  }
  return { removed };
}

export interface SweepResult {
  readonly removed: readonly string[];
  readonly kept: readonly string[];
  readonly leftAlone: readonly string[];
}

export async function sweepAccess(api: FirewallApi, now: Date, log: Log, olderThanMinutes: number = SWEEP_AFTER_MINUTES): Promise<SweepResult> {
  const plan = planSweep(await api.list(), now, olderThanMinutes);
  for (const f of plan.suspicious) log(`left alone: ${f.name} (${f.id}) is named like an opening but is not shaped like one`);
  for (const f of plan.keep) log(`kept: ${f.name} (${f.id}), created ${f.created_at}, younger than ${olderThanMinutes} minutes`);
  const removed: string[] = [];
  const failures: string[] = [];
  for (const f of plan.remove) {
    try {
      await api.remove(f.id);
      removed.push(f.id);
      log(`removed: ${f.name} (${f.id}), created ${f.created_at}`);
    } catch (error) {
      failures.push(`${f.id}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (failures.length > 0) throw new DigitalOceanError(0, `could not remove ${failures.length} stale opening(s): ${failures.join("; ")}`);
  return { removed, kept: plan.keep.map((f) => f.id), leftAlone: plan.suspicious.map((f) => f.id) };
}
