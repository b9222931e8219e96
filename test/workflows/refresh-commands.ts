// The refresh commands in shell text and Markdown, and whether each runs the program: shared by
// test/workflows/refresh.test.ts (workflows, README, docs/) and test/docs/runbooks.test.ts.
import { readFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");

export interface Invocation {
  readonly where: string;
  readonly command: string;
  /** Marked `# local stack only: <reason>`: a refresh of the local stack, which has no postgresql provider. */
  readonly localOnly?: boolean;
}

/** The marker that exempts a refresh of the local stack (its stack commands run without a program). */
const LOCAL_ONLY = /#\s*local stack only:\s*\S/;

/** Shell text with `\`-continued lines joined, one command per line. */
function logicalLines(shell: string): string[] {
  return shell.replace(/\s*\\\r?\n\s*/g, " ").split(/\r?\n/);
}

/**
 * The pulumi invocations in `shell` that refresh: `pulumi refresh …`, and `pulumi up|preview …`
 * with `--refresh`/`-r` (not `--refresh=false`). Comments are dropped.
 */
export function refreshInvocations(shell: string, where: string): Invocation[] {
  const found: Invocation[] = [];
  for (const line of logicalLines(shell)) {
    const localOnly = LOCAL_ONLY.test(line);
    const code = line.replace(/(^|\s)#.*$/, "");
    for (const m of code.matchAll(/(?:^|[\s;&|(`$])((?:[A-Z_]+=\S+\s+)*pulumi\s+(refresh|up|update|preview)\b[^;&|`)\n]*)/g)) {
      const command = (m[1] ?? "").trim();
      const verb = m[2];
      const refreshes = verb === "refresh" || /\s(?:--refresh(?:=true)?|-r)(?=\s|$)/.test(` ${command} `);
      if (refreshes) found.push({ where, command, ...(localOnly ? { localOnly } : {}) });
    }
  }
  return found;
}

/**
 * Whether a refresh takes the working path: it runs the program (the flag, or
 * PULUMI_RUN_PROGRAM=true in its environment), or it is marked local-only and names no production.
 */
export function takesWorkingPath(invocation: Invocation, env: Readonly<Record<string, unknown>> = {}): boolean {
  if (invocation.localOnly === true) return !/production/.test(invocation.command);
  return runsProgram(invocation.command, env);
}

/** Whether the invocation runs the program: the flag, or PULUMI_RUN_PROGRAM=true in its environment. */
export function runsProgram(command: string, env: Readonly<Record<string, unknown>> = {}): boolean {
  if (/(^|\s)--run-program=false(\s|$)/.test(command)) return false;
  if (/(^|\s)--run-program(=true)?(\s|$)/.test(command)) return true;
  if (/(^|\s)PULUMI_RUN_PROGRAM=(true|1)\s/.test(`${command} `)) return true;
  return String(env["PULUMI_RUN_PROGRAM"] ?? "") === "true";
}

/** Commands in Markdown: every fenced block's lines, and inline code spans that start with `pulumi `. */
export function markdownInvocations(file: string): Invocation[] {
  const text = readFileSync(file, "utf8");
  const name = path.relative(ROOT, file);
  const found: Invocation[] = [];
  const lineOf = (index: number) => text.slice(0, index).split("\n").length;
  for (const m of text.matchAll(/^[ \t]*```[^\n]*\n([\s\S]*?)^[ \t]*```/gm)) {
    found.push(...refreshInvocations(m[1] ?? "", `${name}:${lineOf(m.index ?? 0)}`));
  }
  const prose = text.replace(/^[ \t]*```[^\n]*\n[\s\S]*?^[ \t]*```[^\n]*$/gm, (block) => block.replace(/[^\n]/g, " "));
  for (const m of prose.matchAll(/`(pulumi [^`]+)`/g)) {
    const span = m[1] ?? "";
    // The bare name of the command in prose ("`pulumi refresh` reads …") is not a command to type.
    if (/^pulumi (refresh|up|preview)$/.test(span.trim())) continue;
    found.push(...refreshInvocations(span, `${name}:${lineOf(m.index ?? 0)}`));
  }
  return found;
}

