// How the unit suite's files share processes. Each test file's own process spends 0.5-2 s of CPU
// loading tsx, the SDKs and the program before its first test, about a third of the suite's CPU
// on 114 files; files of one directory run one after another in a shared process instead (what
// Node 22's --test-isolation=none does for a whole run; Node 20 lacks it).
import * as fs from "node:fs";
import * as path from "node:path";

/** Every unit test file under `root`/test, repository-relative: the *.test.ts the engine suite does not own. */
export function unitTestFiles(root: string): string[] {
  return fs
    .readdirSync(path.join(root, "test"), { recursive: true })
    .map((f) => path.posix.join("test", String(f).split(path.sep).join("/")))
    .filter((f) => f.endsWith(".test.ts") && !f.endsWith(".engine.test.ts"))
    .sort();
}

/**
 * Files that change process-wide state for their whole run (environment variables set in a
 * root-level hook, pulumi mocks set at load), which would reach the other files of a shared
 * process: each runs in a process of its own. A test keeps this list complete.
 */
export const OWN_PROCESS: readonly string[] = ["test/entry.test.ts", "test/snapshots/restore.test.ts"];

/** At most this many files share a process: short enough to spread over three workers. */
export const FILES_PER_PROCESS = 6;

/**
 * Groups `files` (repository-relative, sorted or not) into processes: one per OWN_PROCESS file,
 * the rest by directory, each directory split into nearly equal runs of at most `perProcess`.
 */
export function groupUnitFiles(files: readonly string[], perProcess = FILES_PER_PROCESS): string[][] {
  const byDir = new Map<string, string[]>();
  const groups: string[][] = [];
  for (const file of [...files].sort()) {
    if (OWN_PROCESS.includes(file)) {
      groups.push([file]);
      continue;
    }
    const dir = path.posix.dirname(file);
    byDir.set(dir, [...(byDir.get(dir) ?? []), file]);
  }
  for (const dirFiles of byDir.values()) {
    const count = Math.ceil(dirFiles.length / perProcess);
    const size = Math.ceil(dirFiles.length / count);
    for (let i = 0; i < dirFiles.length; i += size) groups.push(dirFiles.slice(i, i + size));
  }
  return groups;
}

/** The entry file of one shared process: it loads each test file in turn, registering its tests. */
export function entrySource(root: string, group: readonly string[]): string {
  return group.map((file) => `require(${JSON.stringify(path.resolve(root, file))});\n`).join("");
}
