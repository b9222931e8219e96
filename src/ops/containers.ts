// The stack's containers by their `docstown.role` label (never by name), as `docker ps` on the
// host lists them, newest first.
import { spawn } from "node:child_process";
import { RELEASE_LABEL } from "../app/logs";
import { ROLE_LABEL, STEP_LABEL } from "../../policies/values";
import { connectionError } from "./engine-api";
import { OpsError } from "./errors";
import { onHost, type Host } from "./host";

export interface Listed {
  readonly id: string;
  readonly name: string;
  readonly role: string;
  readonly release: string;
  readonly step: string;
  readonly image: string;
  readonly status: string;
  readonly running: boolean;
}

const FIELDS = ["{{.ID}}", "{{.Names}}", `{{.Label "${ROLE_LABEL}"}}`, `{{.Label "${RELEASE_LABEL}"}}`, `{{.Label "${STEP_LABEL}"}}`, "{{.Image}}", "{{.Status}}"];

/** `docker ps -a` of one role (every labelled container without one), scoped to a network when given. */
export function psArgv(role: string | undefined, network: string | undefined): string[] {
  return [
    "docker", "ps", "--all", "--no-trunc",
    "--filter", role === undefined ? `label=${ROLE_LABEL}` : `label=${ROLE_LABEL}=${role}`,
    ...(network !== undefined ? ["--filter", `network=${network}`] : []),
    "--format", FIELDS.join("\t"),
  ];
}

export function parsePs(stdout: string): Listed[] {
  return stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((line) => {
      const [id = "", name = "", role = "", release = "", step = "", image = "", status = ""] = line.split("\t");
      return { id, name, role, release, step, image, status, running: status.startsWith("Up") };
    });
}

/** Runs a short command on the host; its stdout, or an OpsError (exit 2 when the host is not reached). */
export function capture(host: Host, argv: readonly string[]): Promise<string> {
  const inv = onHost(host, argv);
  return new Promise((resolve, reject) => {
    const child = spawn(inv.file, inv.args, { env: inv.env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", (e: NodeJS.ErrnoException) => reject(new OpsError(`${inv.file}: ${e.code === "ENOENT" ? "not on PATH" : e.message}`, 2)));
    child.on("close", (code) => {
      if (code === 0) return resolve(out);
      if ((host.kind === "ssh" && code === 255) || /cannot connect to the docker daemon|error during connect/i.test(err)) return reject(connectionError(host, code, err));
      reject(new OpsError(`${argv.slice(0, 2).join(" ")} failed on the host (exit ${code}): ${err.trim().split("\n")[0] ?? ""}`));
    });
  });
}

export async function listContainers(host: Host, role: string | undefined, network: string | undefined): Promise<Listed[]> {
  return parsePs(await capture(host, psArgv(role, network)));
}

/**
 * The container a one-off copies, or `--reuse` runs in: the newest running one of the role; for
 * migrate (a one-shot that has exited), the newest that is not an owner step.
 */
export function sourceContainer(listed: readonly Listed[], role: string, stack: string): Listed {
  const candidates = listed.filter((c) => c.role === role && (role === "migrate" ? c.step === "" : c.running));
  const found = candidates[0];
  if (found === undefined) {
    const next = stack === "local" ? "npm run local:up" : "pulumi up --stack production";
    throw new OpsError(`no ${role === "migrate" ? "" : "running "}${role} container on the ${stack} stack's host: deploy it first (${next}), then see npm run ops -- ps --stack ${stack}`, 2);
  }
  return found;
}
