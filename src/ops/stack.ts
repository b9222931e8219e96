// Which Docker host a stack's containers run on, read from the stack's outputs (only the ones
// needed, never --show-secrets): production's publicIp and pinned host key, reached over SSH as
// the deploy does; the local stack's state dir of `npm run local:up` and its Docker engine.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { LogsOutput } from "../app/logs";
import { pulumiEnv } from "../../engine/local/backend";
import { dockerEnv, makeContext, readCommitted } from "../../engine/local/context";
import { locate } from "../../engine/local/engine";
import { LocalError } from "../../engine/local/errors";
import { readSettings } from "../../engine/local/settings";
import type { StackName } from "./args";
import { OpsError } from "./errors";
import { sshHost, type Host } from "./host";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

export interface Target {
  readonly stack: StackName;
  readonly host: Host;
  /** How the app logs (undefined: a stack deployed before the output existed). */
  readonly logs?: LogsOutput;
  /** The local stack's app network: its containers, not another local stack's on the same engine. */
  readonly network?: string;
}

interface Pulumi {
  readonly file: string;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

type Read = { ok: true; value: string } | { ok: false; problem: "no-stack" | "no-output" | "failed"; detail: string };

/** `pulumi stack output <name>`: one output, secrets left as they are (never shown). */
function readOutput(p: Pulumi, stack: StackName, name: string, json: boolean): Promise<Read> {
  return new Promise((resolve) => {
    const args = ["stack", "output", name, ...(json ? ["--json"] : []), "--stack", stack, "--non-interactive"];
    const child = spawn(p.file, args, { cwd: p.cwd, env: p.env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", (e: NodeJS.ErrnoException) =>
      resolve({ ok: false, problem: "failed", detail: e.code === "ENOENT" ? `${p.file} is not on PATH: install the Pulumi CLI (https://www.pulumi.com/docs/install/)` : e.message }),
    );
    child.on("close", (code) => {
      const detail = err.split("\n").map((l) => l.replace(/^error:\s*/, "").trim()).find((l) => l !== "") ?? `exit ${code}`;
      if (code === 0 && out.trim() !== "" && out.trim() !== '""') resolve({ ok: true, value: out.trim() });
      else if (/no stack named|stack .* not found|could not find stack/i.test(err)) resolve({ ok: false, problem: "no-stack", detail });
      else if (code === 0 || /does not have output property|no output/i.test(err)) resolve({ ok: false, problem: "no-output", detail });
      else resolve({ ok: false, problem: "failed", detail });
    });
  });
}

function logsOutput(read: Read): LogsOutput | undefined {
  if (!read.ok) return undefined;
  const value = JSON.parse(read.value) as Partial<LogsOutput>;
  return (value.driver === "journald" || value.driver === "local") && typeof value.tag === "string" ? { driver: value.driver, tag: value.tag } : undefined;
}

function notDeployed(stack: StackName, read: Read & { ok: false }, next: string): OpsError {
  if (read.problem === "failed") return new OpsError(`cannot read the ${stack} stack's outputs (${read.detail})`, 2);
  return new OpsError(`the ${stack} stack is not deployed (${read.detail}): ${next}`, 2);
}

/** Whether ssh-agent holds a key (`ssh-add -l` exits 0); undefined when it does, else what to do. */
export function agentProblem(env: NodeJS.ProcessEnv): string | undefined {
  const run = spawnSync("ssh-add", ["-l"], { env, encoding: "utf8", timeout: 10_000 });
  if (run.status === 0) return undefined;
  const why = env.SSH_AUTH_SOCK ? "ssh-agent holds no key" : "no ssh-agent (SSH_AUTH_SOCK is not set)";
  return `${why}: start one (eval "$(ssh-agent)") and ssh-add the operator key listed in docstown:operators.sshPublicKeys`;
}

async function production(env: NodeJS.ProcessEnv): Promise<Target> {
  const p: Pulumi = { file: "pulumi", cwd: REPO_ROOT, env };
  const [ip, key, logs] = await Promise.all([
    readOutput(p, "production", "publicIp", false),
    readOutput(p, "production", "knownHostsLine", false),
    readOutput(p, "production", "logs", true),
  ]);
  if (!ip.ok) throw notDeployed("production", ip, "run pulumi up --stack production first (docs/first-deploy.md)");
  const problem = agentProblem(env);
  if (problem) throw new OpsError(problem, 2);
  const logsOut = logsOutput(logs);
  let host: Host;
  try {
    host = sshHost(ip.value, key.ok ? key.value : "", env);
  } catch (err) {
    throw new OpsError(`the production stack's knownHostsLine output is not an ed25519 known_hosts line (${(err as Error).message.split(":")[0]}): run pulumi up --stack production`, 2);
  }
  return { stack: "production", host, ...(logsOut ? { logs: logsOut } : {}) };
}

async function local(env: NodeJS.ProcessEnv): Promise<Target> {
  let ctx;
  let docker: NodeJS.ProcessEnv;
  try {
    ctx = makeContext(REPO_ROOT, readSettings(env, os.homedir(), process.cwd()), env);
    docker = dockerEnv(ctx, readCommitted(ctx));
  } catch (err) {
    if (err instanceof LocalError) throw new OpsError(err.message, 2);
    throw err;
  }
  const layout = ctx.layout;
  if (!fs.existsSync(layout.backend)) throw new OpsError(`the local stack is not deployed (no state in ${layout.dir}): run npm run local:up first`, 2);
  const engine = locate(REPO_ROOT, env.PATH);
  if (!engine.found) throw new OpsError(`no Pulumi CLI to read the local stack with (${engine.missing.join(", ")}): run npm run local:up, which builds it`, 2);
  const p: Pulumi = { file: path.join(engine.binDir, "pulumi"), cwd: layout.project, env: pulumiEnv(layout, engine.binDir, docker) };
  const [proxy, logs] = await Promise.all([readOutput(p, "local", "proxyContainer", false), readOutput(p, "local", "logs", true)]);
  if (!proxy.ok) throw notDeployed("local", proxy, "run npm run local:up first");
  const host: Host = { kind: "local", env: docker };
  const inspect = spawnSync("docker", ["inspect", "--format", "{{range $name, $n := .NetworkSettings.Networks}}{{$name}} {{end}}", proxy.value], { env: docker, encoding: "utf8", timeout: 60_000 });
  if ((inspect.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") throw new OpsError("docker is not on PATH: install Docker Engine", 2);
  if (inspect.status !== 0) {
    const why = (inspect.stderr ?? "").trim().split("\n")[0] ?? "";
    if (/cannot connect|connection refused|is the docker daemon running/i.test(why)) throw new OpsError(`no Docker engine answers (${why}): start it, or fix DOCKER_HOST / docstown:local.dockerHost`, 2);
    throw new OpsError(`the local stack's proxy container ${proxy.value} is gone (${why}): run npm run local:up`, 2);
  }
  const network = inspect.stdout.trim().split(/\s+/).find((n) => n !== "");
  const logsOut = logsOutput(logs);
  return { stack: "local", host, ...(network ? { network } : {}), ...(logsOut ? { logs: logsOut } : {}) };
}

export function resolveTarget(stack: StackName, env: NodeJS.ProcessEnv): Promise<Target> {
  return stack === "production" ? production(env) : local(env);
}
