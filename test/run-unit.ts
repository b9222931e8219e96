// `npm run test:unit`: every *.test.ts but the engine suite's, through node's test runner, three
// processes at a time, the files of a directory sharing a process (./unit-groups.ts). Arguments
// narrow the run to those files (each then in its own process, as `node --test` would run them).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { entrySource, groupUnitFiles, unitTestFiles } from "./unit-groups";

const ROOT = path.resolve(__dirname, "..");

function main(): number {
  const picked = process.argv.slice(2);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "docstown-unit-"));
  try {
    const entries = picked.length > 0
      ? picked.map((f) => path.resolve(f))
      : groupUnitFiles(unitTestFiles(ROOT)).map((group, i) => {
          const name = `${String(i).padStart(3, "0")}-${path.posix.dirname(group[0] ?? "test").replace(/\//g, "-")}.test.cjs`;
          const entry = path.join(dir, name);
          fs.writeFileSync(entry, entrySource(ROOT, group));
          return entry;
        });
    const run = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=3", ...entries], { cwd: ROOT, stdio: "inherit" });
    return run.status ?? 1;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = main();
