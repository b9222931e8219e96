// The maintenance page: a real Caddy running the rendered Caddyfile answers every request (/up, a
// POST, the www alias, plain HTTP) with the static 503 page and its headers, and nothing reaches
// the web container behind it; with maintenance off, the same Caddy config forwards again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderCaddyfile, type CaddyfileOptions } from "../../src/app/caddyfile";
import { APP_NAME, MAINTENANCE_RETRY_AFTER_SECONDS, htmlText, maintenancePage } from "../../src/app/maintenance";
import { proxyCaddyfileOptions } from "../../src/app/rails-app";
import { freePort, listening } from "../net";

const CADDY = "/usr/bin/caddy";
const skip = spawnSync(CADDY, ["version"]).status !== 0
  ? `${CADDY} is not installed (apt-get install caddy)`
  : spawnSync("openssl", ["version"]).status !== 0 ? "openssl is not installed" : false;

const PRODUCTION = { host: "docstown.org", aliases: ["www.docstown.org"], httpPort: 80, httpsPort: 443, clientIpHeader: "CF-Connecting-IP" };

function certificate(dir: string, host: string): { certificateFile: string; keyFile: string } {
  const certificateFile = join(dir, "origin.crt");
  const keyFile = join(dir, "origin.key");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
    "-subj", `/CN=${host}`, "-addext", `subjectAltName=DNS:${host},DNS:www.${host}`, "-keyout", keyFile, "-out", certificateFile,
  ], { stdio: "ignore" });
  return { certificateFile, keyFile };
}

const caddyEnv = (dir: string): NodeJS.ProcessEnv => ({ ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, "config"), XDG_DATA_HOME: join(dir, "data") });

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function send(url: string, method = "GET", body?: string): Promise<Answer> {
  const u = new URL(url);
  const request = u.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port: Number(u.port), path: u.pathname, method, headers: { Host: u.host }, servername: u.hostname, rejectUnauthorized: false },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Runs Caddy on the rendered Caddyfile in front of a counting web server; returns its ports. */
async function proxyInFront(t: { after: (fn: () => void) => void }, maintenance: boolean): Promise<{ http: number; https: number; reached: () => number }> {
  const dir = mkdtempSync(join(tmpdir(), "docstown-caddy-maintenance-"));
  const [http, https, upstreamPort] = await Promise.all([freePort(), freePort(), freePort()]);
  let reached = 0;
  const web = createServer((_req, res) => {
    reached += 1;
    res.end("app");
  }).listen(upstreamPort, "127.0.0.1");
  const options: CaddyfileOptions = {
    ...proxyCaddyfileOptions({ ...PRODUCTION, host: "localhost", aliases: ["www.localhost"] }, "files", maintenance),
    listen: { http, https },
    publicHttpsPort: https,
    tls: certificate(dir, "localhost"),
    upstream: { host: "localhost", port: upstreamPort },
  };
  const file = join(dir, "Caddyfile");
  writeFileSync(file, renderCaddyfile(options));
  const caddy: ChildProcess = spawn(CADDY, ["run", "--adapter", "caddyfile", "--config", file], { env: caddyEnv(dir), stdio: "ignore" });
  t.after(() => {
    caddy.kill("SIGTERM");
    web.close();
  });
  await Promise.all([listening(http), listening(https)]);
  return { http, https, reached: () => reached };
}

test("the page names the app, and escapes what would break the quoted Caddyfile token or be a placeholder", () => {
  const page = maintenancePage(APP_NAME, MAINTENANCE_RETRY_AFTER_SECONDS);
  assert.match(page, /<title>DocsTown: down for maintenance<\/title>/);
  assert.match(page, /<h1>DocsTown is down for maintenance<\/h1>/);
  assert.match(page, /about 5 minutes/);
  assert.equal(htmlText(`a"b\\c{d}<e>&'`), "a&quot;b&#92;c&#123;d&#125;&lt;e&gt;&amp;&#39;");
  const odd = renderCaddyfile({ ...proxyCaddyfileOptions(PRODUCTION, "files", true), maintenance: { appName: `Docs"Town {env.X}`, retryAfterSeconds: 60 } });
  assert.ok(odd.includes("Docs&quot;Town &#123;env.X&#125;"));
  assert.throws(() => renderCaddyfile({ ...proxyCaddyfileOptions(PRODUCTION, "files", true), maintenance: { appName: "x", retryAfterSeconds: 0 } }), /retryAfterSeconds/);
});

test("with maintenance on, the rendered Caddyfile holds no reverse_proxy at all; off, it does", () => {
  const on = renderCaddyfile(proxyCaddyfileOptions(PRODUCTION, "files", true));
  const off = renderCaddyfile(proxyCaddyfileOptions(PRODUCTION, "files", false));
  assert.doesNotMatch(on, /reverse_proxy/);
  assert.equal(on.match(/respond "/g)?.length, 3, "plain HTTP, www and the domain each answer the page");
  assert.match(off, /reverse_proxy/);
  assert.doesNotMatch(off, /respond|Retry-After/);
});

test("caddy validate accepts the production maintenance Caddyfile", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), "docstown-caddy-maintenance-validate-"));
  const file = join(dir, "Caddyfile");
  writeFileSync(file, renderCaddyfile({ ...proxyCaddyfileOptions(PRODUCTION, "files", true), tls: certificate(dir, "docstown.org") }));
  const result = spawnSync(CADDY, ["validate", "--adapter", "caddyfile", "--config", file], { encoding: "utf8", env: caddyEnv(dir) });
  assert.equal(result.status, 0, `caddy validate failed:\n${result.stderr}`);
});

test("a real Caddy in maintenance answers every request with the 503 page and forwards none", { skip }, async (t) => {
  const { http, https, reached } = await proxyInFront(t, true);
  const answers = await Promise.all([
    send(`https://localhost:${https}/up`),
    send(`https://localhost:${https}/docs/1?page=2`),
    send(`https://localhost:${https}/votes`, "POST", "vote=42"),
    send(`https://www.localhost:${https}/`),
    send(`http://localhost:${http}/up`),
  ]);
  for (const a of answers) {
    assert.equal(a.status, 503);
    assert.equal(a.headers["retry-after"], String(MAINTENANCE_RETRY_AFTER_SECONDS));
    assert.equal(a.headers["cache-control"], "no-store");
    assert.equal(a.headers["content-type"], "text/html; charset=utf-8");
    assert.equal(a.headers["location"], undefined, "no redirect, not even on plain HTTP");
    assert.equal(a.body, maintenancePage(APP_NAME, MAINTENANCE_RETRY_AFTER_SECONDS));
    assert.match(a.body, /DocsTown is down for maintenance/);
  }
  assert.equal(reached(), 0, "no request reached the web container");
});

test("the same Caddy with maintenance off forwards to the web container again (the control)", { skip }, async (t) => {
  const { https, reached } = await proxyInFront(t, false);
  const up = await send(`https://localhost:${https}/up`);
  assert.equal(up.status, 200);
  assert.equal(up.body, "app");
  assert.equal(up.headers["retry-after"], undefined);
  assert.equal(reached(), 1);
});
