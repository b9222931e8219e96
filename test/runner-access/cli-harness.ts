// Runs `npm run runner-access -- …` in-process (src/runner-access/cli.ts main) against the fake,
// collecting what it writes: a subprocess per call would cost a second of tsx start-up each.
import { main } from "../../src/runner-access/cli";
import type { FakeDo } from "./fake-do";

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runCli(args: readonly string[], env: NodeJS.ProcessEnv, now?: () => Date): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, env, now ?? (() => new Date()), { out: (t) => (stdout += t), err: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

/** The environment of a GitHub job pointed at the fake. */
export function jobEnv(fake: FakeDo, run: { runId: string; attempt?: string }, addressUrl?: string): NodeJS.ProcessEnv {
  return {
    DIGITALOCEAN_FIREWALL_TOKEN: fake.token,
    DIGITALOCEAN_API_URL: fake.url,
    GITHUB_RUN_ID: run.runId,
    GITHUB_RUN_ATTEMPT: run.attempt ?? "1",
    RUNNER_ACCESS_POLL_MS: "10",
    ...(addressUrl ? { RUNNER_ACCESS_ADDRESS_URLS: `${addressUrl},${addressUrl}` } : {}),
  };
}
