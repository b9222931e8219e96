// The wait for an uploaded origin-pull certificate to turn active, run as the program runs it
// (`node -e <script>`) against a loopback server answering as Cloudflare's "Get Certificate Details".
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { ORIGIN_PULL_FAILED_STATUSES, ORIGIN_PULL_WAIT_SCRIPT, type OriginPullWaitEnvironment } from "../../src/edge/origin-pull-wait";
import { freePort } from "../net";

const ZONE = "0123456789abcdef0123456789abcdef";
const CERT = "2458ce5a0c354c7f82c78e9487d3ff60";
const TOKEN = "test-token";

interface Answer {
  readonly status: number;
  readonly body?: unknown;
}

/** Answers each request with the next scripted answer (the last one repeats), and records the requests. */
class FakeCloudflare {
  readonly requests: { path: string; authorization: string | undefined }[] = [];
  private server?: Server;
  answers: Answer[] = [];

  async start(): Promise<string> {
    this.server = createServer((req: IncomingMessage, res) => {
      this.requests.push({ path: req.url ?? "", authorization: req.headers.authorization });
      const answer = this.answers[Math.min(this.requests.length - 1, this.answers.length - 1)] ?? { status: 500 };
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(JSON.stringify(answer.body ?? { success: false, errors: [], result: null }));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/client/v4`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const status = (s: string): Answer => ({ status: 200, body: { success: true, errors: [], result: { id: CERT, status: s } } });

function runWait(api: string, overrides: Partial<OriginPullWaitEnvironment> = {}, token: string | null = TOKEN): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env["PATH"],
    DOCSTOWN_CLOUDFLARE_API: api,
    ZONE_ID: ZONE,
    CERTIFICATE_ID: CERT,
    TIMEOUT_SECONDS: "10",
    POLL_SECONDS: "0.05",
    ...overrides,
  };
  if (token !== null) env["CLOUDFLARE_API_TOKEN"] = token;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // As pulumi-command runs it: the interpreter and its arguments, then the `create` label.
    const child = spawn(process.execPath, ["-e", ORIGIN_PULL_WAIT_SCRIPT, "wait-until-active"], { env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

describe("waiting for the uploaded client certificate to be active", () => {
  const cloudflare = new FakeCloudflare();
  let api = "";
  before(async () => {
    api = await cloudflare.start();
  });
  after(() => cloudflare.stop());
  const reset = (answers: Answer[]) => {
    cloudflare.answers = answers;
    cloudflare.requests.length = 0;
  };

  test("polls the certificate with the deploy token until Cloudflare reports it active, through a 404 and pending states", async () => {
    reset([{ status: 404 }, status("initializing"), status("pending_deployment"), status("active")]);
    const run = await runWait(api);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`origin-pull client certificate ${CERT} uploaded to zone ${ZONE} is active`));
    assert.equal(cloudflare.requests.length, 4);
    for (const r of cloudflare.requests) {
      assert.deepEqual(r, { path: `/client/v4/zones/${ZONE}/origin_tls_client_auth/${CERT}`, authorization: `Bearer ${TOKEN}` });
    }
  });

  test("stops at once on a status that never turns active, saying the old certificate is still in place", async () => {
    for (const failed of ORIGIN_PULL_FAILED_STATUSES) {
      reset([status("pending_deployment"), status(failed)]);
      const run = await runWait(api);
      assert.equal(run.code, 1, failed);
      assert.match(run.stderr, new RegExp(`its status is ${failed}, which does not turn active; see docs/origin-pulls.md \\(the old certificate, if any, is still in place\\)`));
      assert.equal(cloudflare.requests.length, 2);
    }
  });

  test("a refused token stops the wait with the permission it needs", async () => {
    reset([{ status: 403 }]);
    const run = await runWait(api);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /Cloudflare refused the token \(HTTP 403\); it needs SSL and Certificates: Edit on the zone/);
  });

  test("without CLOUDFLARE_API_TOKEN it asks for it and calls nothing", async () => {
    reset([status("active")]);
    const run = await runWait(api, {}, null);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /CLOUDFLARE_API_TOKEN is not set in the environment of pulumi up/);
    assert.equal(cloudflare.requests.length, 0);
  });

  test("gives up after the timeout with the last status, the check to run and the fact that nothing was removed", async () => {
    reset([status("pending_deployment")]);
    // 30 polls' worth of time: on a loaded machine each poll (a process's fetch, this test's fake
    // API answering) can take several times its 0.05 s, and the assertion is that it polls on.
    const run = await runWait(api, { TIMEOUT_SECONDS: "1.5" });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /still not active after 1\.5 s \(last: status pending_deployment\)\. Nothing was removed/);
    assert.match(run.stderr, new RegExp(`curl -fsS -H "Authorization: Bearer \\$CLOUDFLARE_API_TOKEN" \\S+/zones/${ZONE}/origin_tls_client_auth/${CERT} \\| jq -r \\.result\\.status`));
    assert.match(run.stderr, /then run pulumi up again, which waits anew/);
    assert.ok(cloudflare.requests.length >= 3, `polled ${cloudflare.requests.length} times`);
  });

  test("keeps trying through network errors until the timeout", async () => {
    const nothing = `http://127.0.0.1:${await freePort()}/client/v4`;
    const run = await runWait(nothing, { TIMEOUT_SECONDS: "0.3" });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /still not active after 0\.3 s \(last: fetch failed\)/);
  });
});
