import type { ProductionConfig } from "../src/config/load";

/** The production topology: droplet + volume, managed PostgreSQL, Cloudflare edge, the app, monitoring. */
export function productionStack(config: ProductionConfig): Record<string, unknown> {
  return {
    domain: config.domain,
    url: `https://${config.domain}`,
    region: config.region,
    reposMountPath: config.volume.mountPath,
  };
}
