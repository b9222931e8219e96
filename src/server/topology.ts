import type { WebSettings } from "../config/schema";

/**
 * Which host runs what, from `docstown:web`. Pure, so the rules are tested without the mocks.
 *
 * `count: 1` is today's single droplet: it holds the repos volume and runs every role, and nothing
 * of the scale-out exists, so a stack that never sets `web` keeps its graph exactly. From 2, the
 * same droplet (same resource names: its volume, reserved IP and droplet are not replaced) keeps
 * the volume and runs migrate and the worker; `count` web droplets without a volume run proxy and
 * web behind a DigitalOcean load balancer, and the apex record moves to the load balancer.
 */

/** The containers one Docker engine runs: everything, the volume host's share, or a web host's. */
export type HostRole = "all" | "worker" | "web";

export interface WebHostPlan {
  /** Resource-name suffix, `web-1` … `web-N`: stable, so adding a host adds, never renames. */
  readonly key: string;
  /** 1-based position; the local stack derives its published ports from it. */
  readonly index: number;
}

export interface Topology {
  /** What the volume host (today's droplet) runs. */
  readonly volumeHost: HostRole;
  /** Web droplets; empty for `count: 1`. */
  readonly webHosts: readonly WebHostPlan[];
  /** Whether the load balancer exists and the apex points at it. */
  readonly loadBalanced: boolean;
  /** Whether web containers bind-mount the clone: only where they share the volume's droplet. */
  readonly webMountsClone: boolean;
}

/** The topology of a validated `docstown:web`; throws what validation would refuse (a programming error). */
export function topology(web: Pick<WebSettings, "count" | "readsClone">): Topology {
  if (!Number.isInteger(web.count) || web.count < 1) throw new Error(`web.count must be a whole number of at least 1, got ${web.count}`);
  if (web.count === 1) return { volumeHost: "all", webHosts: [], loadBalanced: false, webMountsClone: true };
  if (web.readsClone) throw new Error("web.count above 1 needs web.readsClone false: web hosts have no repos volume");
  const webHosts = Array.from({ length: web.count }, (_, i) => ({ key: `web-${i + 1}`, index: i + 1 }));
  return { volumeHost: "worker", webHosts, loadBalanced: true, webMountsClone: false };
}

/** The roles a host of `role` runs, in the order a release reaches them. */
export function rolesOf(role: HostRole): { migrate: boolean; worker: boolean; web: boolean; proxy: boolean } {
  return { migrate: role !== "web", worker: role !== "web", web: role !== "worker", proxy: role !== "worker" };
}
