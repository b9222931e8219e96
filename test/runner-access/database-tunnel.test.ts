// The deploy and drift jobs' path to the database on a GitHub-hosted runner, end to end on this
// machine: `runner-access tunnel-open` starts the real ssh client through a real sshd on loopback
// (standing for the droplet) to a real PostgreSQL serving TLS with a certificate, from a test CA,
// for made-up cluster names (as DigitalOcean's carries the cluster's public and private names).
// The admin connection's settings (src/database/admin.ts) with `verify-full` connect through it;
// a name the certificate does not carry, or another CA, is refused; once the tunnel is closed,
// nothing answers on its port.
//
// On the runner the name resolves to the tunnel through an /etc/hosts line the job adds
// (`127.0.0.1 <cluster host>`); a test may not edit this machine's /etc/hosts, so libpq is given
// the same mapping with `hostaddr=127.0.0.1` beside `host=<name>`: it connects to hostaddr and
// verifies the certificate against host.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { adminConnection, type AdminConnection } from "../../src/database/admin";
import { main } from "../../src/runner-access/cli";
import { findPgBin, pgSkipReason, ThrowawayCluster } from "../database/pg-cluster";
import { makeTestCa, opensslSkipReason } from "../database/test-ca";
import { sshdMissing, startLoopbackSshd, type LoopbackSshd } from "../engine/support/sshd";
import { freePort } from "../net";

const PUBLIC_NAME = "db-xyz-do-user-1-0.b.db.ondigitalocean.com";
const PRIVATE_NAME = `private-${PUBLIC_NAME}`;
const ADMIN_PASSWORD = "AVNS_tunnel-test-admin";

const skip = pgSkipReason() ?? opensslSkipReason() ?? sshdMissing();

function conninfo(c: AdminConnection): string {
  // hostaddr stands for the job's /etc/hosts line (see the header).
  return [
    `host=${c.host}`, "hostaddr=127.0.0.1", `port=${c.port}`, `user=${c.username}`, `password=${ADMIN_PASSWORD}`,
    `dbname=${c.database}`, `sslmode=${c.sslmode}`, `sslrootcert=${c.sslrootcert}`, "connect_timeout=10",
  ].join(" ");
}

function psql(info: string, statement: string): { ok: boolean; out: string; err: string } {
  const r = spawnSync(join(findPgBin()!, "psql"), ["-X", "-q", "-A", "-t", "-c", statement, info], {
    encoding: "utf8", timeout: 30_000, env: { PATH: process.env["PATH"], HOME: tmpdir() },
  });
  return { ok: r.status === 0, out: r.stdout.trim(), err: r.stderr.trim() };
}

describe("database through an SSH tunnel, verify-full against the cluster's names", { skip, timeout: 60_000 }, () => {
  let pg: ThrowawayCluster | undefined;
  let sshd: LoopbackSshd | undefined;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let tunnelPort: number;
  let caFile: string;
  let otherCaFile: string;
  const logs: string[] = [];
  const cli = async (command: string) => {
    let err = "";
    const code = await main([command], env, () => new Date(), { out: (t) => logs.push(t), err: (t) => (err += t) });
    return { code, err };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "docstown-tunnel-test-"));
    const ca = makeTestCa("DocsTown test cluster CA");
    caFile = join(dir, "ca.crt");
    writeFileSync(caFile, ca.certificatePem);
    otherCaFile = join(dir, "other-ca.crt");
    writeFileSync(otherCaFile, makeTestCa("Somebody else's CA").certificatePem);
    pg = await ThrowawayCluster.start({ tls: ca.issueServer([PUBLIC_NAME, PRIVATE_NAME]) });
    pg.must(pg.superuser, "postgres", `CREATE ROLE doadmin LOGIN PASSWORD '${ADMIN_PASSWORD}' CREATEDB CREATEROLE;
      CREATE DATABASE defaultdb OWNER doadmin;`);
    sshd = await startLoopbackSshd();
    tunnelPort = await freePort();
    env = {
      RUNNER_TEMP: dir,
      SSH_AUTH_SOCK: sshd.agentSocket,
      DOCSTOWN_SSH_HOST: "127.0.0.1",
      DOCSTOWN_SSH_PORT: String(sshd.port),
      DOCSTOWN_SSH_USER: "root",
      DOCSTOWN_KNOWN_HOSTS_LINE: sshd.knownHostsLine,
      // The droplet resolves the private name inside the VPC; this "droplet" is loopback.
      DOCSTOWN_DB_PRIVATE_HOST: "127.0.0.1",
      DOCSTOWN_DB_PORT: String(pg.port),
      DOCSTOWN_TUNNEL_PORT: String(tunnelPort),
    };
  });

  after(async () => {
    if (env) await cli("tunnel-close");
    pg?.stop();
    sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("nothing answers on the tunnel's port before it is opened", () => {
    const r = psql(conninfo(adminConnection({ host: PUBLIC_NAME, port: tunnelPort, username: "doadmin", caPath: caFile })), "SELECT 1");
    assert.ok(!r.ok);
    assert.match(r.err, /refused/i);
  });

  test("tunnel-open: verify-full with the cluster's CA connects through it, over TLS, for the name the provider dials and for the private name", async () => {
    const opened = await cli("tunnel-open");
    assert.equal(opened.code, 0, opened.err);
    for (const name of [PUBLIC_NAME, PRIVATE_NAME]) {
      const r = psql(conninfo(adminConnection({ host: name, port: tunnelPort, username: "doadmin", caPath: caFile })), "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
      assert.ok(r.ok, `${name}: ${r.err}`);
      assert.equal(r.out, "t");
    }
  });

  test("a name the certificate does not carry is refused", () => {
    const r = psql(conninfo(adminConnection({ host: "private-db-other-do-user-1-0.b.db.ondigitalocean.com", port: tunnelPort, username: "doadmin", caPath: caFile })), "SELECT 1");
    assert.ok(!r.ok, "connected with a name the certificate does not carry");
    assert.match(r.err, /does not match host name/);
  });

  test("another CA is refused", () => {
    const r = psql(conninfo(adminConnection({ host: PRIVATE_NAME, port: tunnelPort, username: "doadmin", caPath: otherCaFile })), "SELECT 1");
    assert.ok(!r.ok, "connected with a CA that did not sign the server's certificate");
    assert.match(r.err, /certificate verify failed/);
  });

  test("a wrong pinned host key stops the tunnel before any forward", async () => {
    const keyDir = mkdtempSync(join(dir, "wrong-"));
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(keyDir, "key")]);
    const [type, key] = readFileSync(join(keyDir, "key.pub"), "utf8").trim().split(/\s+/);
    const wrong = { ...env, DOCSTOWN_KNOWN_HOSTS_LINE: `[127.0.0.1]:${sshd!.port} ${type} ${key}`, RUNNER_TEMP: keyDir, DOCSTOWN_TUNNEL_PORT: String(await freePort()) };
    let err = "";
    const code = await main(["tunnel-open"], wrong, () => new Date(), { out: () => {}, err: (t) => (err += t) });
    assert.equal(code, 1);
    assert.match(err, /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/);
  });

  test("tunnel-close ends it: the port answers no more", async () => {
    const closed = await cli("tunnel-close");
    assert.equal(closed.code, 0, closed.err);
    const r = psql(conninfo(adminConnection({ host: PUBLIC_NAME, port: tunnelPort, username: "doadmin", caPath: caFile })), "SELECT 1");
    assert.ok(!r.ok);
    assert.match(r.err, /refused/i);
    assert.equal((await cli("tunnel-close")).code, 0, "a second close must be a no-op");
  });
});
