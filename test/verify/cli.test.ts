import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { makeTestPki, type TestPki } from "./support/pki";
import { DKIM_KEY, DOMAIN, HSTS, healthyDns, sentrySummary } from "./support/scenario";
import { startDns, startRedirector, startSentry, startSite, type Running } from "./support/servers";

const CLI = resolve(__dirname, "../../src/verify/cli.ts");
const TSX = pathToFileURL(require.resolve("tsx")).href;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI in a child (async, so this process keeps serving the fake site). */
function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((done) => {
    const childEnv = { PATH: process.env["PATH"] ?? "", ...env };
    execFile(process.execPath, ["--import", TSX, CLI, ...args], { cwd, env: childEnv, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

let dir: string;
let pki: TestPki;
const servers: Running[] = [];
let sentry: Awaited<ReturnType<typeof startSentry>>;
let flags: string[];
let healthyPort: number;
let brokenPort: number;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "verify-cli-"));
  pki = makeTestPki(dir, DOMAIN);
  const healthy = await startSite(pki.fresh, { up: 200, hsts: HSTS });
  const broken = await startSite(pki.fresh, { up: 500, hsts: HSTS });
  const redirector = await startRedirector(308, `https://${DOMAIN}/`);
  const dns = await startDns(healthyDns());
  sentry = await startSentry();
  servers.push(healthy, broken, redirector, dns, sentry);
  healthyPort = healthy.port;
  brokenPort = broken.port;
  flags = ["--resolver", `127.0.0.1:${dns.port}`, "--ca-file", pki.caFile, "--connect-host", "127.0.0.1",
    "--http-port", String(redirector.port), "--timeout-ms", "3000"];
  const stack = (name: string, extra: string[]) =>
    writeFileSync(join(dir, `Pulumi.${name}.yaml`), ["config:", `  docstown:domain: ${DOMAIN}`, ...extra, ""].join("\n"));
  stack("production", [
    "  docstown:email:",
    "    provider: postmark",
    `    mailerFrom: "DocsTown <notifications@${DOMAIN}>"`,
    "    dkimSelector: 20250101123456pm",
    `    dkimPublicKey: ${DKIM_KEY}`,
    "    spfIncludes: [_spf.google.com]",
    `    dmarc: { policy: quarantine, reportEmail: dmarc@${DOMAIN} }`,
  ]);
  stack("bad", ["  docstown:email:", "    provider: mailgun", `    mailerFrom: a@${DOMAIN}`]);
});

after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe("npm run verify (the CLI in a child process)", { timeout: 60_000 }, () => {
  it("exits 2 with one line naming the bad flag, and no stack trace", async () => {
    const run = await cli(["--domain", DOMAIN, "--timeout-ms", "soon"], dir);
    assert.deepEqual(run, { code: 2, stdout: "", stderr: 'verify: --timeout-ms: must be an integer from 1 to 600000 (got "soon")\n' });
  });

  it("exits 2 naming the bad stack key", async () => {
    const run = await cli(["--stack", "bad"], dir);
    assert.deepEqual(run, { code: 2, stdout: "", stderr: "verify: Pulumi.bad.yaml: docstown:email.provider: must be one of postmark, ses, sendgrid\n" });
  });

  it("exits 0 for a healthy stack, prints ticked lines and checks in to Sentry from $SENTRY_DSN", async () => {
    sentry.items.length = 0;
    const run = await cli(["--stack", "production", ...flags, "--https-port", String(healthyPort)], dir, { SENTRY_DSN: sentry.dsn });
    assert.equal(run.stderr, "");
    assert.equal(run.code, 0, run.stdout);
    const lines = run.stdout.trimEnd().split("\n");
    assert.equal(lines.filter((l) => l.startsWith("✔ ")).length, 9, run.stdout);
    assert.match(lines.at(-2) ?? "", /^All 9 checks passed for docstown\.test \(stack production\) in \d+ ms\.$/);
    assert.equal(lines.at(-1), "Sentry: check-in ok for monitor docstown-verify-production sent.");
    assert.deepEqual(sentrySummary(sentry.items), [
      { type: "check_in", monitor: "docstown-verify-production", status: "ok", environment: "production" },
    ]);
  });

  it("exits 1 when a check fails, and --json prints the report", async () => {
    const run = await cli(["--stack", "production", ...flags, "--https-port", String(brokenPort), "--json"], dir);
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout) as { ok: boolean; checks: { id: string; status: string; detail: string }[] };
    assert.equal(report.ok, false);
    assert.deepEqual(report.checks.filter((c) => c.status === "fail").map((c) => [c.id, c.detail]), [["https-up", "answered 500, expected 200"]]);
  });
});
