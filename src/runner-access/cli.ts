/**
 * `npm run runner-access -- <command>`: the SSH opening of a GitHub-hosted runner's job.
 *
 *   open  --job <job> --tag <tag>[,<tag>] [--address <ip>]   open tcp/22 for this runner on the tags' droplets
 *   close --job <job>                                close this run's opening (none is fine)
 *   sweep [--older-than-minutes <n>]                 remove ours older than n (default 90)
 *   targets                                          stack export JSON on stdin -> NAME=value lines
 *   tunnel-open / tunnel-close                       the database tunnel through the droplet (./tunnel.ts)
 *
 * The run is GitHub's: GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT name the opening. The token is
 * DIGITALOCEAN_FIREWALL_TOKEN (firewall scopes only, docs/first-deploy.md step 10);
 * DIGITALOCEAN_API_URL, RUNNER_ACCESS_ADDRESS_URLS and RUNNER_ACCESS_POLL_MS point the tool
 * elsewhere and make it poll faster (tests).
 * Exit 0 done, 1 failed, 2 bad usage.
 */
import { parseArgs } from "node:util";
import { exitWhenWritten } from "../cli/exit";
import { closeAccess, openAccess, sweepAccess } from "./access";
import { firewallApi, type FirewallApi } from "./do-firewalls";
import { openingName, SWEEP_AFTER_MINUTES } from "./openings";
import { ADDRESS_SERVICES, publicAddress } from "./public-address";
import { environmentLines, runnerTargets } from "./targets";
import { closeTunnel, openTunnel } from "./tunnel-process";

export const USAGE = `usage: npm run runner-access -- open --job <job> --tag <tag>[,<tag>] [--address <ip>]
       npm run runner-access -- close --job <job>
       npm run runner-access -- sweep [--older-than-minutes <n>]   (default ${SWEEP_AFTER_MINUTES})
       pulumi stack export --stack production | npm run --silent runner-access -- targets
       npm run runner-access -- tunnel-open | tunnel-close   (DOCSTOWN_* from targets in the environment)`;

class UsageError extends Error {}

function api(env: NodeJS.ProcessEnv): FirewallApi {
  const token = env["DIGITALOCEAN_FIREWALL_TOKEN"] ?? "";
  if (token === "") throw new UsageError("DIGITALOCEAN_FIREWALL_TOKEN is not set (the firewall-scoped token, docs/first-deploy.md step 10)");
  return firewallApi({ token, ...(env["DIGITALOCEAN_API_URL"] ? { baseUrl: env["DIGITALOCEAN_API_URL"] } : {}) });
}

function runName(job: string | undefined, env: NodeJS.ProcessEnv): string {
  if (!job) throw new UsageError("--job is required");
  const runId = env["GITHUB_RUN_ID"] ?? "";
  const attempt = env["GITHUB_RUN_ATTEMPT"] ?? "";
  if (runId === "" || attempt === "") throw new UsageError("GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT must be set (GitHub Actions sets them)");
  return openingName({ runId, attempt, job });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const STDIO: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, now: () => Date = () => new Date(), io: Io = STDIO): Promise<number> {
  const log = (line: string) => io.out(`${line}\n`);
  const fail = (message: string) => io.err(`${env["GITHUB_ACTIONS"] === "true" ? "::error::" : ""}runner-access: ${message}\n`);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        job: { type: "string" }, tag: { type: "string" }, address: { type: "string" },
        "older-than-minutes": { type: "string" }, help: { type: "boolean" },
      },
    });
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    log(USAGE);
    return 0;
  }
  try {
    const command = positionals[0];
    if (positionals.length !== 1) throw new UsageError(`one command expected\n${USAGE}`);
    switch (command) {
      case "open": {
        if (!values.tag) throw new UsageError("--tag is required");
        const name = runName(values.job, env);
        const client = api(env);
        const services = env["RUNNER_ACCESS_ADDRESS_URLS"] ? env["RUNNER_ACCESS_ADDRESS_URLS"].split(",") : ADDRESS_SERVICES;
        const address = values.address ?? (await publicAddress(services));
        const pollMs = env["RUNNER_ACCESS_POLL_MS"] ? Number(env["RUNNER_ACCESS_POLL_MS"]) : undefined;
        await openAccess(client, { name, address, tag: values.tag, ...(pollMs !== undefined && pollMs >= 0 ? { pollMs } : {}) }, log);
        return 0;
      }
      case "close": {
        await closeAccess(api(env), runName(values.job, env), log);
        return 0;
      }
      case "sweep": {
        const raw = values["older-than-minutes"];
        const minutes = raw === undefined ? SWEEP_AFTER_MINUTES : Number(raw);
        if (!Number.isFinite(minutes) || minutes < 10) throw new UsageError(`--older-than-minutes must be a number >= 10 (a younger opening may belong to a running job), got ${raw}`);
        const result = await sweepAccess(api(env), now(), log, minutes);
        log(`sweep: removed ${result.removed.length}, kept ${result.kept.length} younger, left alone ${result.leftAlone.length} not ours`);
        return 0;
      }
      case "targets": {
        let exported: unknown;
        try {
          exported = JSON.parse(await readStdin());
        } catch {
          throw new UsageError("stdin is not JSON: pipe `pulumi stack export --stack production` into it");
        }
        log(environmentLines(runnerTargets(exported)).join("\n"));
        return 0;
      }
      case "tunnel-open": {
        await openTunnel(env, log);
        return 0;
      }
      case "tunnel-close": {
        closeTunnel(env, log);
        return 0;
      }
      default:
        throw new UsageError(`unknown command ${command ?? "(none)"}\n${USAGE}`);
    }
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
    return error instanceof UsageError ? 2 : 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => exitWhenWritten(code),
    (error: unknown) => {
      process.stderr.write(`runner-access: ${error instanceof Error ? error.message : String(error)}\n`);
      return exitWhenWritten(1);
    },
  );
}
