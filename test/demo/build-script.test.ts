// demo/build.sh and the demo Go modules: shellcheck-clean, arguments checked before anything is
// built, and `npm run demo:images` wired to it. (go vet of the demo module: demo-vet.engine.test.ts.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEMO_DIR, skipUnlessCi } from "./support";

const SCRIPT = join(DEMO_DIR, "build.sh");
const shellcheckMissing = spawnSync("shellcheck", ["--version"], { stdio: "ignore" }).status === 0 ? undefined : "shellcheck is not installed (apt-get install shellcheck)";

test("demo/build.sh passes shellcheck", { skip: skipUnlessCi(shellcheckMissing) }, () => {
  const r = spawnSync("shellcheck", [SCRIPT], { encoding: "utf8" });
  assert.equal(r.status, 0, `shellcheck failed:\n${r.stdout}${r.stderr}`);
});

test("npm run demo:images runs demo/build.sh", () => {
  const pkg = JSON.parse(readFileSync(join(DEMO_DIR, "..", "package.json"), "utf8")) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts["demo:images"], "bash demo/build.sh");
});

test("bad arguments are refused with one line, before anything is built", () => {
  const cases: [string[], RegExp][] = [
    [["--version", "not a tag!"], /^demo images: --version must be a Docker tag, not 'not a tag!'$/],
    [["--only", "app,web"], /^demo images: --only takes app, postgres and\/or proxy, not 'app,web'$/],
    [["--push"], /^demo images: unknown argument --push \(see --help\)$/],
  ];
  for (const [args, message] of cases) {
    const r = spawnSync("bash", [SCRIPT, ...args], { encoding: "utf8", timeout: 10000 });
    assert.equal(r.status, 1, args.join(" "));
    assert.match(r.stderr.trim(), message);
  }
});
