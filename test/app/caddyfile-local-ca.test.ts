// The local stack's TLS: a real Caddy with the rendered `tls internal` Caddyfile, run as nobody on
// loopback ports, makes its own CA in its data directory; a client trusting that root.crt gets
// through, one without it is refused, and a restart on the same data directory keeps the CA.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderCaddyfile } from "../../src/app/caddyfile";
import { LOCAL_CA_DATA_PATH, LOCAL_CA_ROOT_PATH, PROXY_GID, PROXY_UID } from "../../src/app/containers";
import { proxyCaddyfileOptions } from "../../src/app/rails-app";
import { freePort } from "../net";

const CADDY = "/usr/bin/caddy";
const skip = spawnSync(CADDY, ["version"]).status !== 0 ? `${CADDY} is not installed (apt-get install caddy)` : false;

/** As root, run Caddy as the proxy's uid and gid, as the container does; otherwise as this user. */
const asProxyUser = process.getuid?.() === 0 && spawnSync("setpriv", ["--version"]).status === 0;

function ownDir(path: string): string {
  mkdirSync(path, { recursive: true });
  if (asProxyUser) chownSync(path, PROXY_UID, PROXY_GID);
  return path;
}

/** Caddy's data directory in the test: the container's /data, where the volume is mounted. */
function rootCertificate(dataDir: string): string {
  assert.ok(LOCAL_CA_ROOT_PATH.startsWith(`${LOCAL_CA_DATA_PATH}/`));
  return join(dataDir, LOCAL_CA_ROOT_PATH.slice(LOCAL_CA_DATA_PATH.length));
}

function startCaddy(dir: string, file: string, dataDir: string): ChildProcess {
  const env = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: dir, XDG_DATA_HOME: dataDir, XDG_CONFIG_HOME: ownDir(join(dir, "config")) };
  const command = ["run", "--adapter", "caddyfile", "--config", file];
  return asProxyUser
    ? spawn("setpriv", [`--reuid=${PROXY_UID}`, `--regid=${PROXY_GID}`, "--clear-groups", CADDY, ...command], { env, stdio: "ignore" })
    : spawn(CADDY, command, { env, stdio: "ignore" });
}

async function stop(caddy: ChildProcess): Promise<void> {
  if (caddy.exitCode !== null || caddy.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    caddy.once("exit", () => resolve());
    caddy.kill("SIGTERM");
  });
}

type Outcome = { status: number; body: string } | { error: string };

function fetchHttps(port: number, ca?: Buffer): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = httpsRequest({ host: "localhost", port, path: "/up", ...(ca !== undefined ? { ca } : {}), timeout: 5000 }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end();
  });
}

/** Polls until Caddy serves HTTPS with a certificate from the CA in `dataDir`. */
async function served(port: number, dataDir: string, deadline = Date.now() + 20000): Promise<Buffer> {
  for (;;) {
    const path = rootCertificate(dataDir);
    if (existsSync(path)) {
      const root = readFileSync(path);
      if ("status" in (await fetchHttps(port, root))) return root;
    }
    if (Date.now() > deadline) throw new Error(`Caddy served no certificate from its CA on ${port} (${path})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function redirectOf(port: number): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: "localhost", port, path: "/x?y=1" }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, location: res.headers.location });
    }).on("error", reject).end();
  });
}

test("tls internal: the rendered Caddyfile validates, and the redirects stay the program's own", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), "docstown-caddy-ca-"));
  const text = renderCaddyfile(proxyCaddyfileOptions({ host: "localhost", aliases: [], httpPort: 8080, httpsPort: 8443 }, "internal"));
  assert.match(text, /^https:\/\/localhost:8443 \{\n\ttls internal$/m);
  // `auto_https off` would leave Caddy without the internal certificate (handshakes fail).
  assert.match(text, /^\tauto_https disable_redirects$/m);
  assert.match(text, /^\tskip_install_trust$/m);
  assert.doesNotMatch(text, /origin\.(crt|key)/);
  const file = join(dir, "Caddyfile");
  writeFileSync(file, text);
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: join(dir, "data"), XDG_CONFIG_HOME: join(dir, "config") };
  const result = spawnSync(CADDY, ["validate", "--adapter", "caddyfile", "--config", file], { encoding: "utf8", env });
  assert.equal(result.status, 0, `caddy validate failed:\n${result.stderr}`);
});

test("a real Caddy as nobody makes its CA in the data directory; only clients trusting its root.crt get through; a restart keeps it", { skip, timeout: 90000 }, async (t) => {
  const dir = ownDir(mkdtempSync(join(tmpdir(), "docstown-caddy-ca-")));
  const dataDir = ownDir(join(dir, "data"));
  const [http, https, upstream] = await Promise.all([freePort(), freePort(), freePort()]);
  // The program's local options; only the ports and the upstream move to this test's loopback.
  const options = proxyCaddyfileOptions({ host: "localhost", aliases: [], httpPort: http, httpsPort: https }, "internal");
  const file = join(dir, "Caddyfile");
  writeFileSync(file, renderCaddyfile({ ...options, listen: { http, https }, upstream: { host: "localhost", port: upstream } }));
  const web = createServer((_req, res) => res.end("up")).listen(upstream, "127.0.0.1");
  let caddy = startCaddy(dir, file, dataDir);
  t.after(async () => {
    await stop(caddy);
    web.close();
  });

  const root = await served(https, dataDir);
  if (asProxyUser) assert.equal(statSync(rootCertificate(dataDir)).uid, PROXY_UID, "Caddy ran as the proxy's uid and wrote its CA itself");
  assert.deepEqual(await fetchHttps(https, root), { status: 200, body: "up" }, "trusting the CA's root: served");
  const untrusted = await fetchHttps(https);
  assert.ok("error" in untrusted, `without the root the certificate is refused, got ${JSON.stringify(untrusted)}`);
  assert.deepEqual(await redirectOf(http), { status: 308, location: `https://localhost:${https}/x?y=1` });

  // The proxy replaced or restarted with the same volume: the same CA, still trusted.
  await stop(caddy);
  caddy = startCaddy(dir, file, dataDir);
  const again = await served(https, dataDir);
  assert.ok(again.equals(root), "the root certificate is unchanged after a restart on the same data directory");
  assert.deepEqual(await fetchHttps(https, root), { status: 200, body: "up" }, "the root trusted before the restart still works");

  // Control: an empty data directory (what a tmpfs gives every start) means a new CA the user never trusted.
  await stop(caddy);
  const freshDir = ownDir(join(dir, "fresh-data"));
  caddy = startCaddy(dir, file, freshDir);
  const fresh = await served(https, freshDir);
  assert.ok(!fresh.equals(root), "a fresh data directory makes a new CA");
  const stale = await fetchHttps(https, root);
  assert.ok("error" in stale, `the old root no longer verifies, got ${JSON.stringify(stale)}`);
});
