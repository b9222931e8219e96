// Authenticated origin pulls at the proxy: a real Caddy with the rendered Caddyfile refuses a TLS
// client without a certificate from the origin-pull CA, and serves the one that has it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderCaddyfile } from "../../src/app/caddyfile";
import { ORIGIN_PULL_CA_PATH } from "../../src/app/containers";
import { proxyCaddyfileOptions } from "../../src/app/rails-app";
import { freePort, listening } from "../net";

const CADDY = "/usr/bin/caddy";
const skip = spawnSync(CADDY, ["version"]).status !== 0
  ? `${CADDY} is not installed (apt-get install caddy)`
  : spawnSync("openssl", ["version"]).status !== 0 ? "openssl is not installed" : false;

function openssl(args: string[]): void {
  execFileSync("openssl", args, { stdio: "ignore" });
}

/** A CA and a client certificate it signs, the shape the program gives Cloudflare. */
function clientPki(dir: string, name: string): { ca: string; cert: string; key: string } {
  const ca = join(dir, `${name}-ca.crt`);
  const caKey = join(dir, `${name}-ca.key`);
  const key = join(dir, `${name}-client.key`);
  const csr = join(dir, `${name}-client.csr`);
  const cert = join(dir, `${name}-client.crt`);
  const ext = join(dir, `${name}-client.ext`);
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
    "-subj", `/CN=${name} origin-pull CA`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
    "-keyout", caKey, "-out", ca]);
  openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", `/CN=${name} edge`, "-keyout", key, "-out", csr]);
  writeFileSync(ext, "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n");
  openssl(["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-days", "1", "-extfile", ext, "-out", cert]);
  return { ca, cert, key };
}

type Outcome = { status: number } | { error: string };

function fetchUp(port: number, client?: { cert: string; key: string }): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = httpsRequest({
      host: "127.0.0.1", port, path: "/up", servername: "localhost", headers: { Host: `localhost:${port}` }, rejectUnauthorized: false,
      ...(client !== undefined ? { cert: readFileSync(client.cert), key: readFileSync(client.key) } : {}),
      timeout: 5000,
    }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end();
  });
}

test("a real Caddy with the origin-pull CA refuses TLS clients without its client certificate", { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "docstown-caddy-aop-"));
  const [http, https, upstream] = await Promise.all([freePort(), freePort(), freePort()]);
  const ours = clientPki(dir, "ours");
  const theirs = clientPki(dir, "other-zone");
  const serverKey = join(dir, "origin.key");
  const serverCert = join(dir, "origin.crt");
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=localhost",
    "-addext", "subjectAltName=DNS:localhost", "-keyout", serverKey, "-out", serverCert]);

  // The program's proxy options with an origin-pull CA; only the files move to this test's folder.
  const options = proxyCaddyfileOptions({ host: "localhost", aliases: [], httpPort: http, httpsPort: https, originPullCaPem: "(PEM)" });
  assert.equal(options.clientCaFile, ORIGIN_PULL_CA_PATH);
  const file = join(dir, "Caddyfile");
  writeFileSync(file, renderCaddyfile({
    ...options,
    listen: { http, https },
    publicHttpsPort: https,
    tls: { certificateFile: serverCert, keyFile: serverKey },
    clientCaFile: ours.ca,
    upstream: { host: "localhost", port: upstream },
  }));
  const web = createServer((_req, res) => res.end("up")).listen(upstream, "127.0.0.1");
  const caddy = spawn(CADDY, ["run", "--adapter", "caddyfile", "--config", file], {
    env: { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, "config"), XDG_DATA_HOME: join(dir, "data") },
    stdio: "ignore",
  });
  t.after(() => {
    caddy.kill("SIGTERM");
    web.close();
  });
  await listening(https);

  const anonymous = await fetchUp(https);
  assert.ok("error" in anonymous, `a client without a certificate is refused, got ${JSON.stringify(anonymous)}`);
  const otherZone = await fetchUp(https, theirs);
  assert.ok("error" in otherZone, `a certificate from another CA (another zone's) is refused, got ${JSON.stringify(otherZone)}`);
  assert.deepEqual(await fetchUp(https, ours), { status: 200 }, "the edge's certificate is served");
});
