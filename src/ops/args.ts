// `npm run ops -- <command> [options]`: what the operator typed, checked before anything runs.
import { OpsError } from "./errors";

export const ROLES = ["web", "worker", "proxy", "migrate"] as const;
export type Role = (typeof ROLES)[number];
export const COMMANDS = ["ps", "logs", "console", "exec", "dbconsole"] as const;
export type Command = (typeof COMMANDS)[number];
export type StackName = "production" | "local";

export const USAGE = `usage: npm run ops -- <command> [--stack production|local] [--role web|worker|proxy|migrate] [options]

commands:
  ps                     each role's containers: release (image digest), health, uptime
  logs                   the role's lines (all roles without --role), each prefixed with its role
      --follow, -f       keep printing new lines
      --since <when>     from a time: 10m, 2h, 3d ago, or 2026-12-05T10:00:00Z
      --lines <n>        the last n lines (default 100; 0: all)
      --release <digest> only the lines of that release (sha256:...), also after a deploy removed
                         its containers (journald stacks: production, local with local.logDriver journald)
  console                bin/rails console in a new container of the running release (removed afterwards)
  exec -- <command...>   a one-off command in a new container of the running release: same image,
                         environment, networks and volume as the role's container (default web),
                         removed afterwards
      --reuse            run it in the live container instead
  dbconsole              bin/rails dbconsole in a new container like migrate's (direct database URLs)

--stack defaults to production. The host comes from the stack's outputs (production: publicIp and
knownHostsLine, over SSH as deploy with your key from ssh-agent; local: the Docker engine of
npm run local:up). Exit 0: done; 2: something to fix first (one line); 1: a command failed; exec
and console end with the command's own exit code.`;

export interface OpsArgs {
  readonly command: Command;
  readonly stack: StackName;
  /** ps and logs: every role when absent; console, exec: web; dbconsole: migrate. */
  readonly role?: Role;
  readonly follow: boolean;
  /** Unix seconds. */
  readonly since?: number;
  readonly lines: number;
  readonly release?: string;
  readonly reuse: boolean;
  /** exec: the command after `--`. */
  readonly argv: readonly string[];
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** `10m`, `2h`, `3d`, `45s` ago, or an ISO 8601 time with a zone; unix seconds. */
export function parseSince(text: string, now: number): number {
  const relative = /^(\d+)\s*(s|m|h|d)$/.exec(text.trim());
  if (relative) {
    const unit = { s: 1, m: 60, h: 3600, d: 86400 }[relative[2] as "s" | "m" | "h" | "d"];
    return Math.floor(now / 1000) - Number(relative[1]) * unit;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text.trim())) {
    const ms = Date.parse(text.trim());
    if (!Number.isNaN(ms)) return Math.floor(ms / 1000);
  }
  throw new OpsError(`--since ${JSON.stringify(text)}: give a duration (10m, 2h, 3d) or a time with its zone (2026-12-05T10:00:00Z)`, 2);
}

function pick<T extends string>(what: string, value: string | undefined, allowed: readonly T[]): T {
  if (value !== undefined && (allowed as readonly string[]).includes(value)) return value as T;
  throw new OpsError(`${value === undefined ? `${what} needs a value` : `unknown ${what.replace(/^--/, "")} ${JSON.stringify(value)}`}: one of ${allowed.join(", ")}`, 2);
}

export function parseArgs(argv: readonly string[], now: number = Date.now()): OpsArgs | "help" {
  const dash = argv.indexOf("--");
  const own = dash < 0 ? argv : argv.slice(0, dash);
  const rest = dash < 0 ? [] : argv.slice(dash + 1);
  if (own.includes("--help") || own.includes("-h") || own.length === 0) return "help";
  const [first, ...flags] = own;
  const command = pick("command", first, COMMANDS);
  let stack: StackName = "production";
  let role: Role | undefined;
  let follow = false;
  let since: number | undefined;
  let lines = 100;
  let release: string | undefined;
  let reuse = false;
  const valued = (i: number) => {
    const value = flags[i + 1];
    if (value === undefined || value.startsWith("--")) throw new OpsError(`${flags[i]} needs a value (see --help)`, 2);
    return value;
  };
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i] as string;
    const only = (...commands: Command[]) => {
      if (!commands.includes(command)) throw new OpsError(`${flag} is for ${commands.join(" and ")}, not ${command} (see --help)`, 2);
    };
    switch (flag) {
      case "--stack":
        stack = pick("--stack", valued(i++), ["production", "local"] as const);
        break;
      case "--role":
        role = pick("--role", valued(i++), ROLES);
        break;
      case "--follow":
      case "-f":
        only("logs");
        follow = true;
        break;
      case "--since":
        only("logs");
        since = parseSince(valued(i++), now);
        break;
      case "--lines":
      case "-n": {
        only("logs");
        const text = valued(i++);
        if (!/^\d+$/.test(text)) throw new OpsError(`--lines ${JSON.stringify(text)}: a whole number (0: all)`, 2);
        lines = Number(text);
        break;
      }
      case "--release": {
        only("logs");
        const text = valued(i++);
        const digest = /^[0-9a-f]{64}$/.test(text) ? `sha256:${text}` : text;
        if (!DIGEST.test(digest)) throw new OpsError(`--release ${JSON.stringify(text)}: a full image digest, sha256:<64 hex> (npm run ops -- ps shows the running one)`, 2);
        release = digest;
        break;
      }
      case "--reuse":
        only("exec", "console");
        reuse = true;
        break;
      default:
        throw new OpsError(`unknown option ${flag} (see --help)`, 2);
    }
  }
  if (command === "exec" && rest.length === 0) throw new OpsError("exec needs a command after --, e.g. npm run ops -- exec -- ./bin/rails runner 'puts 1'", 2);
  if (command !== "exec" && rest.length > 0) throw new OpsError(`${command} takes no command after -- (exec does)`, 2);
  if ((command === "console" || command === "dbconsole") && role === "proxy") throw new OpsError(`${command} runs the Rails image; --role proxy has none`, 2);
  if (command === "exec" && role === "proxy" && !reuse) throw new OpsError("a new container is made only from web, worker or migrate; for the proxy add --reuse (runs in the live proxy)", 2);
  if (reuse && role === "migrate") throw new OpsError("migrate is not running (a one-shot step); drop --reuse to run in a new container like it", 2);
  return {
    command,
    stack,
    ...(role !== undefined ? { role } : {}),
    follow,
    ...(since !== undefined ? { since } : {}),
    lines,
    ...(release !== undefined ? { release } : {}),
    reuse,
    argv: rest,
  };
}
