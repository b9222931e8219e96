// go vet of the demo app module: in the engine suite, since on an empty Go build cache it compiles
// the demo's dependencies (pgx) for minutes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { DEMO_DIR, goMissing, skipUnlessCi } from "./support";

// The Caddy wrapper is five lines calling Caddy's own main; vetting it would type-check all of Caddy.
test("the demo app module passes go vet", { skip: skipUnlessCi(goMissing()) }, () => {
  const r = spawnSync("go", ["vet", "./..."], { cwd: DEMO_DIR, encoding: "utf8", timeout: 600_000 });
  assert.equal(r.status, 0, `go vet:\n${r.stderr}`);
});
