import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { adminConnection, type AdminConnection } from "../../src/database/admin";
import { writeCaFile } from "../../src/database/ca-file";
import { APP_USER, connectionUrl, RAILS_DATABASES } from "../../src/database/rails";
import { pgSkipReason, ThrowawayCluster, type Login } from "./pg-cluster";
import { makeTestCa, opensslSkipReason, type TestCa } from "./test-ca";

/**
 * The app's URLs and the admin connection verify the server, on a real PostgreSQL serving TLS
 * with a certificate from a test CA for `localhost`, as a managed cluster serves one from its own
 * CA for its host names. Connections go through `psql` (libpq, what Rails' pg gem uses) with the
 * URL exactly as the program renders it: nothing else tells libpq how to verify.
 */

const skip = pgSkipReason() ?? opensslSkipReason();
const app: Login = { user: APP_USER, password: "AVNS_app-tls-password" };
const admin: Login = { user: "doadmin", password: "AVNS_admin-tls-password" };
const database = RAILS_DATABASES.DATABASE_URL;
const IS_TLS = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid();";

/** libpq's key=value form of the provider's settings (lib/pq reads the same keys). */
function conninfo(c: AdminConnection, password: string = admin.password): string {
  const quote = (v: string | number) => `'${String(v).replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  return [
    `host=${quote(c.host)}`, `port=${quote(c.port)}`, `user=${quote(c.username)}`, `password=${quote(password)}`,
    `dbname=${quote(c.database)}`, `sslmode=${quote(c.sslmode)}`, `sslrootcert=${quote(c.sslrootcert)}`,
  ].join(" ");
}

describe("TLS verification of the database connections on a real PostgreSQL", { skip, timeout: 120_000 }, () => {
  let pg: ThrowawayCluster | undefined;
  let ca: TestCa;
  let otherCa: TestCa;
  let dir: string;
  const cluster = (): ThrowawayCluster => {
    if (pg === undefined) throw new Error("the PostgreSQL server did not start");
    return pg;
  };
  const file = (name: string, pem: string): string => {
    const path = join(dir, name);
    writeFileSync(path, pem);
    return path;
  };
  const appUrl = (host: string, caPath: string, railsParams?: Record<string, string>) =>
    connectionUrl({ user: app.user, password: app.password, host, port: cluster().port, database }, { caPath, ...(railsParams ? { railsParams } : {}) });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "docstown-tls-test-"));
    ca = makeTestCa("DocsTown test cluster CA");
    otherCa = makeTestCa("Somebody else's CA");
    pg = await ThrowawayCluster.start({ tls: ca.issueServer(["localhost", "db.test"]) });
    const su = pg.superuser;
    pg.must(su, "postgres", `CREATE ROLE doadmin LOGIN PASSWORD '${admin.password}' CREATEDB CREATEROLE;
      CREATE DATABASE defaultdb OWNER doadmin;
      CREATE ROLE ${app.user} LOGIN PASSWORD '${app.password}';
      CREATE DATABASE ${database} OWNER ${app.user};`);
  });

  after(() => {
    pg?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test("the app's URL with the cluster's CA connects, over TLS", () => {
    const url = appUrl("localhost", file("cluster-ca.crt", ca.certificatePem));
    const result = cluster().sqlByUrl(url, IS_TLS);
    assert.equal(result.ok, true, result.stderr);
    assert.equal(result.stdout, "t");
  });

  test("the app's URL refuses a server whose certificate comes from another CA", () => {
    const url = appUrl("localhost", file("other-ca.crt", otherCa.certificatePem));
    const result = cluster().sqlByUrl(url, IS_TLS);
    assert.equal(result.ok, false, "connected to a server the configured CA never signed");
    assert.match(result.stderr, /certificate verify failed/);
  });

  test("the app's URL refuses a certificate that does not name the host it dialled", () => {
    const url = appUrl("127.0.0.1", file("cluster-ca-2.crt", ca.certificatePem));
    const result = cluster().sqlByUrl(url, IS_TLS);
    assert.equal(result.ok, false, "connected although the certificate names localhost, not 127.0.0.1");
    assert.match(result.stderr, /does not match host name "127\.0\.0\.1"/);
  });

  test("the app's URL refuses a server that offers no TLS at all", async () => {
    const plain = await ThrowawayCluster.start();
    try {
      plain.must(plain.superuser, "postgres", `CREATE ROLE ${app.user} LOGIN PASSWORD '${app.password}'; CREATE DATABASE ${database};`);
      const url = connectionUrl({ user: app.user, password: app.password, host: "localhost", port: plain.port, database }, { caPath: file("ca-3.crt", ca.certificatePem) });
      const result = plain.sqlByUrl(url, "SELECT 1;");
      assert.equal(result.ok, false);
      assert.match(result.stderr, /server does not support SSL/);
    } finally {
      plain.stop();
    }
  });

  test("the pooled URL, once Rails keeps its own keys, verifies the same way", () => {
    const rails = { prepared_statements: "false", advisory_locks: "false" };
    const url = new URL(appUrl("localhost", file("cluster-ca-4.crt", ca.certificatePem), rails));
    for (const key of Object.keys(rails)) url.searchParams.delete(key); // what Rails hands to libpq
    assert.equal(cluster().sqlByUrl(url.toString(), IS_TLS).stdout, "t");
    const wrong = new URL(appUrl("localhost", file("other-ca-2.crt", otherCa.certificatePem), rails));
    for (const key of Object.keys(rails)) wrong.searchParams.delete(key);
    assert.match(cluster().sqlByUrl(wrong.toString(), IS_TLS).stderr, /certificate verify failed/);
  });

  test("the admin connection: the CA's PEM reaches a file the provider reads, and that CA is enforced", () => {
    const caDir = mkdtempSync(join(dir, "provider-"));
    const good = adminConnection({ host: "localhost", port: cluster().port, username: admin.user, caPath: writeCaFile(ca.certificatePem, caDir) });
    assert.equal(readFileSync(good.sslrootcert, "utf8"), ca.certificatePem);
    const ok = cluster().sqlByUrl(conninfo(good), IS_TLS);
    assert.equal(ok.ok, true, ok.stderr);
    assert.equal(ok.stdout, "t");

    const impostor = adminConnection({ ...good, caPath: writeCaFile(otherCa.certificatePem, caDir) });
    assert.match(cluster().sqlByUrl(conninfo(impostor), IS_TLS).stderr, /certificate verify failed/);
    const wrongHost = { ...good, host: "127.0.0.1" };
    assert.match(cluster().sqlByUrl(conninfo(wrongHost), IS_TLS).stderr, /does not match host name/);
  });
});
