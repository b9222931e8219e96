// Durations sent to the Docker provider must be spelled the way the provider reads them back:
// Go's time.Duration.String() (terraform-provider-docker's container read). The reference is Go
// itself: a tiny program built here prints the canonical form of every value in the table.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { webHealthcheck } from "../../src/app/containers";
import { goDuration } from "../../src/app/go-duration";
import { productionSchema } from "../../src/config/schema";
import type { SynthResult } from "../../src/synth/recorder";
import { byType, synthStack } from "../harness";

const GO_PROGRAM = `package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"time"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		n, err := strconv.ParseInt(in.Text(), 10, 64)
		if err != nil {
			panic(err)
		}
		fmt.Fprintf(out, "%d %s\\n", n, (time.Duration(n) * time.Second).String())
	}
}
`;

const goMissing = spawnSync("go", ["version"], { encoding: "utf8" }).status !== 0;
// On CI the reference must run; elsewhere a machine without Go skips with the reason.
const skip = goMissing && process.env["CI"] === undefined ? "go is not installed (apt-get install golang-go); CI runs this test" : false;

const boot = productionSchema.shape.app.shape.webBootTimeoutSeconds;
const bootRange = { min: 10, max: 1800 };

/** Every second up to two hours, then every config bound and a few large values. */
function table(): number[] {
  const values = new Set<number>();
  for (let n = 0; n <= 7200; n++) values.add(n);
  for (const n of [10799, 10800, 10801, 86399, 86400, 90061, 359999, 360000, 1_000_000]) values.add(n);
  return [...values].sort((a, b) => a - b);
}

/** Go's formatting of each value, from `go run`. */
function goFormats(values: number[]): Map<number, string> {
  const dir = mkdtempSync(join(tmpdir(), "docstown-go-duration-"));
  try {
    writeFileSync(join(dir, "main.go"), GO_PROGRAM);
    const r = spawnSync("go", ["run", join(dir, "main.go")], {
      input: values.join("\n") + "\n",
      encoding: "utf8",
      timeout: 120000,
      env: { ...process.env, GO111MODULE: "off", GOFLAGS: "", GOCACHE: process.env["GOCACHE"] ?? join(tmpdir(), "docstown-go-cache") },
    });
    if (r.status !== 0) throw new Error(`go run failed: ${r.error?.message ?? r.stderr}`);
    const map = new Map<number, string>();
    for (const line of r.stdout.trim().split("\n")) {
      const [n, s] = line.split(" ");
      map.set(Number(n), String(s));
    }
    assert.equal(map.size, values.length, "Go printed every value");
    return map;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every healthcheck duration field of every Docker container in a rendered stack, with where it is. */
function renderedDurations(r: SynthResult): [string, string][] {
  const out: [string, string][] = [];
  for (const c of byType(r, "docker:index/container:Container")) {
    const hc = c.inputs["healthcheck"] as Record<string, unknown> | undefined;
    if (hc === undefined) continue;
    for (const field of ["interval", "timeout", "startPeriod", "startInterval"]) {
      if (hc[field] !== undefined) out.push([`${c.name} healthcheck.${field}`, String(hc[field])]);
    }
  }
  return out;
}

/** Parses a whole-second Go duration back into seconds, so a rendered value can be looked up. */
function seconds(d: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)$/.exec(d);
  if (m === null) throw new Error(`not a whole-second duration: ${d}`);
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

describe("durations are in Go's canonical form", { skip }, () => {
  let go = new Map<number, string>();
  before(() => {
    go = goFormats(table());
  }, { timeout: 120000 });

  test("goDuration equals Go's time.Duration.String() for every whole second up to two hours and beyond", () => {
    const wrong = [...go].filter(([n, s]) => goDuration(n) !== s).map(([n, s]) => `${n}: ${goDuration(n)} (Go: ${s})`);
    assert.deepEqual(wrong.slice(0, 20), []);
  });

  test("the web health check, rendered for every webBootTimeoutSeconds the schema accepts, sends Go's form in each field", () => {
    assert.equal(boot.safeParse(bootRange.min - 1).success, false, "the schema's range is the one tested");
    assert.equal(boot.safeParse(bootRange.max + 1).success, false, "the schema's range is the one tested");
    const wrong: string[] = [];
    for (let n = bootRange.min; n <= bootRange.max; n++) {
      const hc = webHealthcheck("docstown.org", boot.parse(n));
      for (const field of ["interval", "timeout", "startPeriod"] as const) {
        const sent = String(hc[field]);
        const canonical = go.get(seconds(sent));
        if (sent !== canonical) wrong.push(`webBootTimeoutSeconds=${n} ${field}: sends ${sent}, provider reads ${canonical}`);
      }
    }
    assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} renderings differ from Go's`);
  });

  test("every health-check duration in the rendered production and local stacks is in Go's form", async () => {
    const rendered = [...renderedDurations(await synthStack("production")), ...renderedDurations(await synthStack("local"))];
    assert.ok(rendered.length >= 6, `found the web and postgres health checks (${rendered.length} fields)`);
    const wrong = rendered.filter(([, d]) => go.get(seconds(d)) !== d).map(([where, d]) => `${where}: ${d} (Go: ${go.get(seconds(d))})`);
    assert.deepEqual(wrong, []);
  });
});
