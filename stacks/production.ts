import type { ProductionConfig } from "../src/config/load";

/**
 * The production topology (brief, section 2): droplet + repos volume, managed PostgreSQL,
 * Cloudflare edge, the app containers over SSH, monitoring. Each block only wires components.
 */
export function productionStack(config: ProductionConfig): Record<string, unknown> {
  const tags = ["docstown", `docstown-${config.stack}`];

  // --- server (droplet, VPC, firewall, reserved IP, repos volume, readiness) ---

  // --- database (managed PostgreSQL, trusted sources, four databases, app user, grants) ---

  // --- edge (Cloudflare DNS, origin certificate, zone settings, email records) ---

  // --- app (Docker provider over SSH; proxy, migrate, web, worker) ---

  // --- monitoring (uptime check, alerts) ---

  return {
    domain: config.domain,
    url: `https://${config.domain}`,
    region: config.region,
    reposMountPath: config.volume.mountPath,
    tags,
  };
}
