// One local stack of the engine suite: its own state dir (file backend, passphrase, generated
// stack file), its own ports and volume names, driven through `npm run local:up`/`local:down`
// exactly as a user runs them, and through the same pulumi CLI for what a user types next
// (preview, refresh, stack export).
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { pulumiEnv, stateLayout, type StateLayout } from "../../../engine/local/backend";
import { ENV } from "../../../engine/local/settings";
import { REPO_ROOT } from "../../../engine/targets";

export type Overrides = Record<string, string | number | boolean>;

export interface CommandResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const LOCAL_CLI = path.join(REPO_ROOT, "engine", "local", "cli.ts");

function result(r: SpawnSyncReturns<string>): CommandResult {
  return { status: r.status, stdout: r.stdout ?? "", stderr: `${r.stderr ?? ""}${r.error ? `\n${r.error.message}` : ""}` };
}

export class LocalRun {
  readonly id = randomBytes(3).toString("hex");
  readonly stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "docstown-engine-local-"));
  readonly layout: StateLayout = stateLayout(this.stateDir);
  /** The repos volume's name, unique to this run so a user's own local stack is never touched. */
  readonly reposVolume = `docstown-test-${this.id}-repos`;
  /** The proxy's CA volume, unique too: a user's own local CA is never replaced by a test's. */
  readonly proxyDataVolume = `docstown-test-${this.id}-proxy-data`;
  private overrides: Overrides;

  constructor(
    readonly binDir: string,
    base: Overrides,
    private readonly extraEnv: NodeJS.ProcessEnv = {},
  ) {
    this.overrides = { "local.reposVolumeName": this.reposVolume, "local.proxyDataVolumeName": this.proxyDataVolume, ...base };
  }

  /** Settings for the next local:up (an image tag, say); they stay for later runs. */
  set(overrides: Overrides): void {
    this.overrides = { ...this.overrides, ...overrides };
  }

  private localEnv(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      ...this.extraEnv,
      [ENV.stateDir]: this.stateDir,
      [ENV.config]: JSON.stringify(this.overrides),
      [ENV.quiet]: "1",
    };
  }

  /** `npm run local:up` / `local:down` as a user runs them (the npm script's command). */
  local(command: "up" | "down"): CommandResult {
    return result(spawnSync(process.execPath, ["--import", "tsx", LOCAL_CLI, command], { cwd: REPO_ROOT, env: this.localEnv(), encoding: "utf8", timeout: 1_500_000 }));
  }

  /** local:up in the background, for what must happen during a deploy. */
  localUpAsync(): { done: Promise<CommandResult>; pid: number | undefined; kill(signal: NodeJS.Signals): void } {
    const child = spawn(process.execPath, ["--import", "tsx", LOCAL_CLI, "up"], { cwd: REPO_ROOT, env: this.localEnv(), detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<CommandResult>((resolve) => child.on("close", (status) => resolve({ status, stdout, stderr })));
    return {
      done,
      pid: child.pid,
      // The whole process group: the CLI, pulumi, its language host and plugin, as a Ctrl-\ would.
      kill: (signal) => {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      },
    };
  }

  env(): NodeJS.ProcessEnv {
    return pulumiEnv(this.layout, this.binDir, { ...process.env, ...this.extraEnv });
  }

  /** A pulumi command on this run's stack, in the checkout, with the generated stack file. */
  pulumi(args: readonly string[], timeout = 900_000): CommandResult {
    const full = [...args, "--stack", "local", "--config-file", this.layout.configFile, "--non-interactive"];
    return result(spawnSync(path.join(this.binDir, "pulumi"), full, { cwd: REPO_ROOT, env: this.env(), encoding: "utf8", timeout }));
  }

  /** The stack's state as `pulumi stack export` prints it (secrets encrypted). */
  exportState(): StateExport {
    const r = spawnSync(path.join(this.binDir, "pulumi"), ["stack", "export", "--stack", "local", "--non-interactive"], { cwd: this.layout.project, env: this.env(), encoding: "utf8" });
    if (r.status !== 0) throw new Error(`pulumi stack export failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as StateExport;
  }

  outputs(): Record<string, string> {
    const r = spawnSync(path.join(this.binDir, "pulumi"), ["stack", "output", "--json", "--stack", "local", "--non-interactive"], { cwd: this.layout.project, env: this.env(), encoding: "utf8" });
    if (r.status !== 0) throw new Error(`pulumi stack output failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as Record<string, string>;
  }

  /** Ids of this run's containers of `role` that mount its repos volume (web, worker), running or not. */
  appContainers(role: "web" | "worker"): string[] {
    const r = docker(["ps", "-a", "-q", "--no-trunc", "--filter", `label=docstown.role=${role}`, "--filter", `volume=${this.reposVolume}`]);
    return r.stdout.trim().split("\n").filter(Boolean);
  }

  /** The local CA local:up copied out of the proxy. */
  ca(): Buffer {
    return fs.readFileSync(this.layout.caFile);
  }

  remove(): void {
    fs.rmSync(this.stateDir, { recursive: true, force: true });
  }
}

export interface StateResource {
  readonly urn: string;
  readonly type: string;
  readonly id?: string;
  readonly inputs?: Record<string, unknown>;
  readonly outputs?: Record<string, unknown>;
  readonly retainOnDelete?: boolean;
}

export interface StateExport {
  readonly deployment: { readonly resources?: StateResource[]; readonly pending_operations?: unknown[] };
}

/** URN → id of every custom resource: a changed id is a replacement. */
export function idsByUrn(state: StateExport): Map<string, string> {
  return new Map((state.deployment.resources ?? []).filter((r) => r.id !== undefined && r.id !== "").map((r) => [r.urn, r.id as string]));
}

/** The last `::` segment of a URN: the resource's name. */
export const nameOf = (urn: string): string => urn.slice(urn.lastIndexOf("::") + 2);

export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** One HTTPS request to the local stack, trusting only its CA; rejects on any transport error. */
export function get(url: string, ca: Buffer, options: { method?: string; timeoutMs?: number; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: options.method ?? "GET", ca, timeout: options.timeoutMs ?? 10_000, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on("timeout", () => req.destroy(new Error(`timeout after ${options.timeoutMs ?? 10_000} ms`)));
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Polls until `url` answers 200, for at most `seconds`. */
export async function waitFor200(url: string, ca: Buffer, seconds: number): Promise<Answer> {
  const deadline = Date.now() + seconds * 1000;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const answer = await get(url, ca, { timeoutMs: 3000 });
      if (answer.status === 200) return answer;
      last = `status ${answer.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not answer 200 within ${seconds} s (last: ${last})`);
}

/**
 * A bounded request loop: GET `url` every `intervalMs` until `until` settles (or `maxRequests`),
 * counting every answer that is not 200 and every transport error as failed.
 */
export async function requestLoop(url: string, ca: Buffer, until: Promise<unknown>, intervalMs = 100, maxRequests = 6000): Promise<{ ok: number; failed: string[] }> {
  let settled = false;
  void until.finally(() => (settled = true));
  const failed: string[] = [];
  let ok = 0;
  for (let i = 0; i < maxRequests && !settled; i++) {
    try {
      const answer = await get(url, ca, { timeoutMs: 15_000 });
      if (answer.status === 200) ok++;
      else failed.push(`${answer.status} ${answer.body.slice(0, 80)}`);
    } catch (err) {
      failed.push((err as Error).message);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return { ok, failed };
}

export function docker(args: readonly string[], timeout = 120_000): CommandResult {
  return result(spawnSync("docker", args, { encoding: "utf8", timeout }));
}
