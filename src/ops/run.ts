// The ops commands, on a resolved target (./stack.ts).
import { spawn } from "node:child_process";
import * as readline from "node:readline";
import type { OpsArgs } from "./args";
import { listContainers, sourceContainer, type Listed } from "./containers";
import { connectionError, dockerApi, expectJson } from "./engine-api";
import { OpsError } from "./errors";
import { onHost, type Host } from "./host";
import { formatLine, journalctlArgv, journalLine } from "./journal";
import { firstTarFile, oneFileTar, oneOffContainer, UPLOADED_FILES, type Inspected } from "./oneoff";
import { redactor, secretValues, type Redactor } from "./redact";
import type { Target } from "./stack";

export interface Io {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly interactive: boolean;
}

const APP_ROLES = ["web", "worker", "migrate"];

async function inspect(host: Host, id: string): Promise<Inspected> {
  return expectJson<Inspected>(`inspect ${id.slice(0, 12)}`, await dockerApi(host, "GET", `/containers/${encodeURIComponent(id)}/json`));
}

/** Redaction of the release's secrets: read from the app containers' environment, never printed. */
async function releaseRedactor(target: Target, listed: readonly Listed[]): Promise<Redactor> {
  const sources = listed.filter((c) => APP_ROLES.includes(c.role) && c.step === "").slice(0, 6);
  const envs = await Promise.all(sources.map(async (c) => (await inspect(target.host, c.id)).Config.Env ?? []));
  return redactor(secretValues(envs.flat()));
}

export async function ps(target: Target, args: OpsArgs, io: Io): Promise<number> {
  const listed = await listContainers(target.host, args.role, target.network);
  if (listed.length === 0) {
    io.out(`no ${args.role ?? "DocsTown"} containers on the ${args.stack} stack's host`);
    return 0;
  }
  const rows = listed.map((c) => [c.step ? `${c.role} (${c.step})` : c.role, c.name, c.release || c.image, c.status]);
  const header = ["ROLE", "CONTAINER", "RELEASE", "STATUS"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  for (const row of [header, ...rows]) io.out(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  "));
  return 0;
}

/**
 * Streams a host command's stdout line by line through `each` (and its stderr too with `both`:
 * `docker logs` writes the container's stderr there); resolves with its exit code.
 */
function streamLines(host: Host, argv: readonly string[], each: (line: string) => void, redact: Redactor, io: Io, both = false): Promise<number> {
  const inv = onHost(host, argv);
  return new Promise((resolve, reject) => {
    const child = spawn(inv.file, inv.args, { env: inv.env, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    if (both) readline.createInterface({ input: child.stderr }).on("line", each);
    else child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    readline.createInterface({ input: child.stdout }).on("line", each);
    child.on("error", (e) => reject(new OpsError(`${inv.file}: ${e.message}`, 2)));
    child.on("close", (code) => {
      if (code !== 0 && err.trim() !== "") io.err(redact(err.trim()));
      resolve(code ?? 1);
    });
  });
}

export async function logs(target: Target, args: OpsArgs, io: Io): Promise<number> {
  // Refused from the stack's outputs alone, before the host is reached.
  if (args.release !== undefined && target.logs === undefined) {
    throw new OpsError(`the ${args.stack} stack has no logs output (deployed before npm run ops existed): run its pulumi up once; until then only running containers' logs are shown`, 2);
  }
  if (args.release !== undefined && target.logs?.driver !== "journald") {
    throw new OpsError(`the ${args.stack} stack logs with Docker's local driver, whose lines go with each replaced container: set docstown:local.logDriver journald (where systemd-journald runs) to keep them`, 2);
  }
  const listed = await listContainers(target.host, args.role, target.network);
  const redact = await releaseRedactor(target, listed);
  if (target.logs?.driver === "journald") {
    const argv = journalctlArgv({
      tag: target.logs.tag, roles: args.role ? [args.role] : [], lines: args.lines, follow: args.follow,
      ...(args.release !== undefined ? { release: args.release } : {}), ...(args.since !== undefined ? { since: args.since } : {}),
    });
    const code = await streamLines(target.host, argv, (line) => {
      const shown = journalLine(line);
      if (shown !== undefined) io.out(redact(shown));
    }, redact, io);
    if (code === 255 && target.host.kind === "ssh") throw connectionError(target.host, code, "ssh exited 255");
    if (code !== 0) throw new OpsError(`journalctl failed on the host (exit ${code}); the deploy user reads the journal through the systemd-journal group`);
    return 0;
  }
  const running = listed.filter((c) => c.step === "" && (c.running || c.role === "migrate"));
  // Every container's lines at once (followed together), each prefixed with its role.
  const codes = await Promise.all(
    running.map((c) =>
      streamLines(target.host, [
        "docker", "logs", "--timestamps",
        ...(args.since !== undefined ? ["--since", String(args.since)] : []),
        ...(args.lines > 0 ? ["--tail", String(args.lines)] : []),
        ...(args.follow ? ["--follow"] : []),
        c.id,
      ], (line) => {
        const m = /^(\S+Z) (.*)$/.exec(line);
        io.out(redact(formatLine(c.role, m ? new Date(m[1] as string) : undefined, m ? (m[2] as string) : line)));
      }, redact, io, true),
    ),
  );
  return codes.every((c) => c === 0) ? 0 : 1;
}

/** Runs `argv` on the host with the terminal (or our stdin/stdout) attached; its exit code. */
function attached(host: Host, argv: readonly string[], tty: boolean, redact: Redactor): Promise<number> {
  const inv = onHost(host, argv, tty);
  // Ctrl-C belongs to the command (ssh -t / docker pass it on); the one-off is still removed after.
  const ignore = () => {};
  process.on("SIGINT", ignore);
  return new Promise<number>((resolve, reject) => {
    const child = spawn(inv.file, inv.args, { env: inv.env, stdio: tty ? "inherit" : ["inherit", "pipe", "pipe"] });
    if (!tty) {
      // Without a terminal the output passes through redaction (with one, it is the operator's own session).
      child.stdout?.on("data", (d: Buffer) => process.stdout.write(redact(d.toString())));
      child.stderr?.on("data", (d: Buffer) => process.stderr.write(redact(d.toString())));
    }
    child.on("error", (e) => reject(new OpsError(`${inv.file}: ${e.message}`, 2)));
    child.on("close", (code) => resolve(code ?? 1));
  }).finally(() => process.off("SIGINT", ignore));
}

/** console, dbconsole, exec: a new container of the running release, or the live one with --reuse. */
export async function oneOff(target: Target, args: OpsArgs, io: Io): Promise<number> {
  const role = args.role ?? (args.command === "dbconsole" ? "migrate" : "web");
  const argv = args.command === "console" ? ["./bin/rails", "console"] : args.command === "dbconsole" ? ["./bin/rails", "dbconsole", "--include-password"] : args.argv;
  const tty = io.interactive;
  const listed = await listContainers(target.host, role, target.network);
  const source = sourceContainer(listed, role, args.stack);
  const live = await inspect(target.host, source.id);
  const redact = redactor(secretValues(live.Config.Env ?? []));
  if (args.reuse) {
    const code = await attached(target.host, ["docker", "exec", "--interactive", ...(tty ? ["--tty"] : []), source.id, ...argv], tty, redact);
    return code;
  }
  const spec = oneOffContainer(live, role, argv, tty);
  const created = expectJson<{ Id: string }>("create the one-off container", await dockerApi(target.host, "POST", "/containers/create", { json: spec.create }));
  try {
    for (const network of spec.moreNetworks) {
      expectJson("connect the one-off container", await dockerApi(target.host, "POST", `/networks/${encodeURIComponent(network)}/connect`, { json: { Container: created.Id } }));
    }
    for (const file of UPLOADED_FILES) {
      const got = await dockerApi(target.host, "GET", `/containers/${source.id}/archive?path=${encodeURIComponent(file)}`);
      if (got.status === 404) continue;
      expectJson(`read ${file} from ${source.name}`, got);
      expectJson(`copy ${file}`, await dockerApi(target.host, "PUT", `/containers/${created.Id}/archive?path=%2F`, { tar: oneFileTar(file, firstTarFile(got.body)) }));
    }
    return await attached(target.host, ["docker", "start", "--attach", "--interactive", created.Id], tty, redact);
  } finally {
    await dockerApi(target.host, "DELETE", `/containers/${created.Id}?force=1`).catch((err: unknown) => {
      io.err(`ops: could not remove the one-off container ${created.Id.slice(0, 12)} (${(err as Error).message}); remove it with docker rm -f on the host`);
    });
  }
}
