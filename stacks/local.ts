import type { LocalConfig } from "../src/config/load";

/** The local rehearsal stack: the same app component on the local Docker engine. */
export function localStack(config: LocalConfig): Record<string, unknown> {
  return {
    url: `https://${config.domain}:${config.local.httpsPort}`,
  };
}
