// The proxy's Caddyfile: rendered, validated by the real `caddy`, and routed through by a real Caddy.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderCaddyfile, type CaddyfileOptions } from "../../src/app/caddyfile";
import { PUMA_PORT, WEB_ALIAS } from "../../src/app/containers";
import { proxyCaddyfileOptions } from "../../src/app/rails-app";
import { freePort } from "../net";

const CADDY = "/usr/bin/caddy";
const caddyVersion = spawnSync(CADDY, ["version"], { encoding: "utf8" });
const caddyMissing = caddyVersion.status !== 0 ? `${CADDY} is not installed (apt-get install caddy)` : false;

/** Does the local Caddy keep a request body for the retry after a refused connection (caddyserver/caddy#7547)? */
function retriesKeepBodies(): boolean {
  const [major = 0, minor = 0, patch = 0] = (/v?(\d+)\.(\d+)\.(\d+)/.exec(caddyVersion.stdout ?? "") ?? []).slice(1).map(Number);
  return major > 2 || (major === 2 && (minor > 11 || (minor === 11 && patch >= 2)));
}
const opensslMissing = spawnSync("openssl", ["version"]).status !== 0 ? "openssl is not installed" : false;

const PRODUCTION = proxyCaddyfileOptions({
  host: "docstown.org", aliases: ["www.docstown.org"], httpPort: 80, httpsPort: 443, clientIpHeader: "CF-Connecting-IP",
});
const LOCAL = proxyCaddyfileOptions({ host: "localhost", aliases: [], httpPort: 8080, httpsPort: 8443 });

/** A throwaway key pair for `host`, so `caddy validate` can load the certificate it names. */
function certificate(dir: string, host: string): { certificateFile: string; keyFile: string } {
  const certificateFile = join(dir, "origin.crt");
  const keyFile = join(dir, "origin.key");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
    "-subj", `/CN=${host}`, "-addext", `subjectAltName=DNS:${host},DNS:www.${host}`, "-keyout", keyFile, "-out", certificateFile,
  ], { stdio: "ignore" });
  return { certificateFile, keyFile };
}

function caddyEnv(dir: string): NodeJS.ProcessEnv {
  return { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, "config"), XDG_DATA_HOME: join(dir, "data") };
}

function validate(options: CaddyfileOptions): void {
  const dir = mkdtempSync(join(tmpdir(), "docstown-caddy-"));
  const file = join(dir, "Caddyfile");
  writeFileSync(file, renderCaddyfile({ ...options, tls: certificate(dir, options.host) }));
  const result = spawnSync(CADDY, ["validate", "--adapter", "caddyfile", "--config", file], { encoding: "utf8", env: caddyEnv(dir) });
  assert.equal(result.status, 0, `caddy validate failed:\n${result.stderr}\n${result.stdout}`);
}

test("production: TLS on the domain, www and plain HTTP redirected, traffic to Puma behind the web alias", () => {
  const text = renderCaddyfile(PRODUCTION);
  assert.match(text, /^http:\/\/:8080 \{\n\tredir https:\/\/\{host\}\{uri\} 308\n\}$/m);
  assert.match(text, /^https:\/\/www\.docstown\.org:8443 \{\n\ttls \/etc\/caddy\/tls\/origin\.crt \/etc\/caddy\/tls\/origin\.key\n\tredir https:\/\/docstown\.org\{uri\} 308\n\}$/m);
  assert.match(text, /^https:\/\/docstown\.org:8443 \{\n\ttls \/etc\/caddy\/tls\/origin\.crt \/etc\/caddy\/tls\/origin\.key$/m);
  assert.ok(text.includes(`\t\tdynamic a ${WEB_ALIAS} ${PUMA_PORT} {\n\t\t\trefresh 1s\n\t\t}`), "re-resolves the web alias every second");
  assert.ok(text.includes("\t\tlb_try_duration 10s\n\t\tlb_try_interval 250ms"), "retries refused connections on another web container");
  assert.ok(text.includes("\t\theader_up X-Forwarded-Proto https"));
  assert.ok(text.includes("\t\theader_up X-Forwarded-For {http.request.header.CF-Connecting-IP}"));
  assert.ok(text.includes("\tadmin off") && text.includes("\tauto_https off"), "no admin API, no ACME");
  assert.ok(text.includes("\t\tfail_duration 3s\n\t\tmax_fails 1"), "one failed dial keeps an upstream out for 3 s");
  assert.ok(text.includes("\t\t\tdial_timeout 500ms"), "a removed container's address costs half a second, not two");
  assert.doesNotMatch(text, /health_|unhealthy_/, "no active checks, and the app's own 5xx never pull the only web container");
});

test("local: redirects carry the published HTTPS port; no client-IP header to trust", () => {
  const text = renderCaddyfile(LOCAL);
  assert.ok(text.includes("redir https://{host}:8443{uri} 308"));
  assert.ok(text.includes("https://localhost:8443 {"));
  assert.doesNotMatch(text, /X-Forwarded-For/);
});

test("values that could break out of a directive are refused", () => {
  assert.throws(() => renderCaddyfile({ ...LOCAL, host: "localhost {\n}" }), /not a host name/);
  assert.throws(() => renderCaddyfile({ ...LOCAL, tls: { certificateFile: "/x y", keyFile: "/k" } }), /not an absolute path/);
  assert.throws(() => renderCaddyfile({ ...LOCAL, clientIpHeader: "X}{" }), /not a header name/);
  assert.throws(() => renderCaddyfile({ ...LOCAL, upstream: { host: "web", port: 0 } }), /must be a TCP port/);
});

test("caddy validate accepts the production Caddyfile", { skip: caddyMissing || opensslMissing }, () => validate(PRODUCTION));
test("caddy validate accepts the local Caddyfile", { skip: caddyMissing || opensslMissing }, () => validate(LOCAL));

// --- A real Caddy in front of a web "container" that is not listening yet, then is. ---

async function waitFor(port: number, deadline = Date.now() + 15000): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = httpRequest({ host: "127.0.0.1", port, path: "/", method: "HEAD" }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on("error", () => resolve(false));
      req.end();
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function get(url: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const u = new URL(url);
  const send = u.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        host: "127.0.0.1", port: Number(u.port), path: `${u.pathname}${u.search}`, method: body === undefined ? "GET" : "POST",
        headers: { Host: u.host, ...headers }, servername: u.hostname, rejectUnauthorized: false,
      },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

test("a real Caddy holds requests until a web container accepts, then forwards with the proxy headers", { skip: caddyMissing || opensslMissing }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "docstown-caddy-run-"));
  const [http, https, upstreamPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const options: CaddyfileOptions = {
    ...PRODUCTION,
    host: "localhost",
    aliases: ["www.localhost"],
    listen: { http, https },
    publicHttpsPort: https,
    tls: certificate(dir, "localhost"),
    // `localhost` stands in for Docker's `web` alias: both are names the proxy re-resolves.
    upstream: { host: "localhost", port: upstreamPort },
  };
  const file = join(dir, "Caddyfile");
  writeFileSync(file, renderCaddyfile(options));
  const caddy: ChildProcess = spawn(CADDY, ["run", "--adapter", "caddyfile", "--config", file], { env: caddyEnv(dir), stdio: "ignore" });
  const web: { server?: Server } = {};
  t.after(() => {
    caddy.kill("SIGTERM");
    web.server?.close();
  });
  await waitFor(http);

  // Plain HTTP and the www alias are redirected to the canonical HTTPS URL.
  const plain = await get(`http://localhost:${http}/docs?page=2`);
  assert.equal(plain.status, 308);
  assert.equal(plain.headers.location, `https://localhost:${https}/docs?page=2`);
  const www = await get(`https://www.localhost:${https}/x`);
  assert.equal(www.status, 308);
  assert.equal(www.headers.location, `https://localhost:${https}/x`);

  // No web container accepts yet (a booting Puma refuses connections): the request waits...
  let seen: IncomingHttpHeaders | undefined;
  const pending = get(`https://localhost:${https}/up`, { "CF-Connecting-IP": "198.51.100.23" });
  await new Promise((r) => setTimeout(r, 1500));
  // ...and is served as soon as one does, within lb_try_duration.
  web.server = createServer((req, res) => {
    seen = req.headers;
    res.end("up");
  }).listen(upstreamPort);
  const answer = await pending;
  assert.equal(answer.status, 200);
  assert.equal(answer.body, "up");
  assert.equal(seen?.["x-forwarded-proto"], "https");
  assert.equal(seen?.["x-forwarded-for"], "198.51.100.23");
  assert.equal(seen?.host, `localhost:${https}`);
});

test("a real Caddy delivers a POST, body and all, to the web container that accepts after a refusal", {
  skip: caddyMissing || opensslMissing || (retriesKeepBodies() ? false : `local ${caddyVersion.stdout.trim()} closes the body on a refused dial (caddyserver/caddy#7546, up to 2.11.1; fixed by #7547; the proxy image default is caddy 2.11.2, pinned by digest)`),
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "docstown-caddy-post-"));
  const [http, https, upstreamPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const file = join(dir, "Caddyfile");
  writeFileSync(file, renderCaddyfile({
    ...LOCAL, listen: { http, https }, publicHttpsPort: https, tls: certificate(dir, "localhost"), upstream: { host: "localhost", port: upstreamPort },
  }));
  const caddy = spawn(CADDY, ["run", "--adapter", "caddyfile", "--config", file], { env: caddyEnv(dir), stdio: "ignore" });
  const web: { server?: Server } = {};
  t.after(() => {
    caddy.kill("SIGTERM");
    web.server?.close();
  });
  await waitFor(http);
  let posted = "";
  const post = get(`https://localhost:${https}/votes`, { "Content-Type": "text/plain" }, "vote=42");
  await new Promise((r) => setTimeout(r, 1000));
  web.server = createServer((req, res) => {
    req.on("data", (c: Buffer) => (posted += c.toString()));
    req.on("end", () => res.end(req.method));
  }).listen(upstreamPort);
  const postAnswer = await post;
  assert.equal(postAnswer.status, 200);
  assert.equal(postAnswer.body, "POST");
  assert.equal(posted, "vote=42");
});
