// Logs from the host's journal (stacks whose containers log with journald, src/app/logs.ts):
// the lines of replaced containers are there too, for as long as the host keeps its journal.
import { journalField, RELEASE_LABEL } from "../app/logs";
import { ROLE_LABEL } from "../../policies/values";

export interface JournalQuery {
  /** The stack's tag (the `logs.tag` output). */
  readonly tag: string;
  /** Any of these roles; every role when empty. */
  readonly roles: readonly string[];
  readonly release?: string;
  /** Unix seconds. */
  readonly since?: number;
  /** The last n lines; 0: all. */
  readonly lines: number;
  readonly follow: boolean;
}

/** The journalctl command: matches on different fields are ANDed, on the same field ORed. */
export function journalctlArgv(q: JournalQuery): string[] {
  return [
    "journalctl", "--no-pager", "--output", "json",
    `SYSLOG_IDENTIFIER=${q.tag}`,
    ...q.roles.map((r) => `${journalField(ROLE_LABEL)}=${r}`),
    ...(q.release !== undefined ? [`${journalField(RELEASE_LABEL)}=${q.release}`] : []),
    ...(q.since !== undefined ? ["--since", `@${q.since}`] : []),
    ...(q.lines > 0 ? ["--lines", String(q.lines)] : []),
    ...(q.follow ? ["--follow"] : []),
  ];
}

/** One printed line: role, time, message (a one-off's own lines are not in the journal). */
export function formatLine(role: string, time: Date | undefined, message: string): string {
  const when = time === undefined ? "" : ` ${time.toISOString().replace(/\.\d{3}Z$/, "Z")}`;
  return `${role.padEnd(7)}${when} | ${message}`;
}

/** A `journalctl --output json` line as we print it; undefined for what is not an entry. */
export function journalLine(json: string): string | undefined {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const raw = entry["MESSAGE"];
  // journald hands non-UTF-8 messages over as a byte array.
  const message = typeof raw === "string" ? raw : Array.isArray(raw) ? Buffer.from(raw as number[]).toString("utf8") : "";
  const role = typeof entry[journalField(ROLE_LABEL)] === "string" ? (entry[journalField(ROLE_LABEL)] as string) : "?";
  const micros = Number(entry["__REALTIME_TIMESTAMP"]);
  return formatLine(role, Number.isFinite(micros) ? new Date(micros / 1000) : undefined, message.replace(/\n$/, ""));
}
