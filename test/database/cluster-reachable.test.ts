// The wait before the first grant: one attempt goes as far as the provider's connection before the
// password (TCP, SSLRequest, TLS verify-full, startup), against a fake cluster on loopback.
import assert from "node:assert/strict";
import * as net from "node:net";
import * as tls from "node:tls";
import { after, before, describe, test } from "node:test";
import {
  probeCluster, timeoutMessage, waitUntilAccepting, waitingMessage, type ClusterEndpoint, type ProbeResult,
} from "../../src/database/cluster-reachable";
import { makeTestCa, opensslSkipReason, type TestCa } from "./test-ca";

type Behaviour = "accept" | "pg_hba" | "no-tls";

/** A PostgreSQL front door: answers SSLRequest, TLS with `cert`, then R (auth request) or E. */
function fakeCluster(cert: { certificatePem: string; privateKeyPem: string }, behaviour: () => Behaviour) {
  const seen: { user?: string; database?: string }[] = [];
  const server = net.createServer((socket) => {
    socket.once("data", () => {
      const mode = behaviour();
      if (mode === "no-tls") {
        socket.end("N");
        return;
      }
      socket.write("S");
      const secure = new tls.TLSSocket(socket, { isServer: true, cert: cert.certificatePem, key: cert.privateKeyPem });
      secure.on("error", () => {});
      secure.once("data", (startup: Buffer) => {
        const fields = startup.subarray(8).toString("utf8").split("\0");
        seen.push({ user: fields[fields.indexOf("user") + 1], database: fields[fields.indexOf("database") + 1] });
        if (mode === "accept") {
          const r = Buffer.alloc(9);
          r.write("R", 0);
          r.writeInt32BE(8, 1);
          r.writeInt32BE(10, 5); // AuthenticationSASL follows; the probe stops here
          secure.write(r);
          return;
        }
        const body = Buffer.from("SFATAL\0C28000\0Mno pg_hba.conf entry for host \"198.51.100.7\", user \"doadmin\", database \"defaultdb\", SSL encryption\0\0");
        const e = Buffer.alloc(5);
        e.write("E", 0);
        e.writeInt32BE(4 + body.length, 1);
        secure.end(Buffer.concat([e, body]));
      });
    });
    socket.on("error", () => {});
  });
  return { server, seen };
}

const skip = opensslSkipReason();

describe("probing the cluster the way the postgresql provider connects", { skip }, () => {
  let ca: TestCa;
  let mode: Behaviour = "accept";
  let cluster: ReturnType<typeof fakeCluster>;
  let endpoint: ClusterEndpoint;
  before(async () => {
    ca = makeTestCa("fake DigitalOcean project CA");
    cluster = fakeCluster(ca.issueServer(["localhost"]), () => mode);
    await new Promise<void>((resolve) => cluster.server.listen(0, "127.0.0.1", resolve));
    const port = (cluster.server.address() as net.AddressInfo).port;
    endpoint = { host: "localhost", port, caPem: ca.certificatePem, user: "doadmin", database: "defaultdb" };
  });
  after(() => cluster.server.close());

  test("accepted when the server asks for authentication, after TLS verified for the host; no password is sent", async () => {
    mode = "accept";
    assert.deepEqual(await probeCluster(endpoint), { ok: true });
    assert.deepEqual(cluster.seen.at(-1), { user: "doadmin", database: "defaultdb" });
  });

  test("a pg_hba refusal, a server without TLS, a CA that does not match, a closed port: not yet, with the reason", async () => {
    mode = "pg_hba";
    assert.deepEqual(await probeCluster(endpoint), {
      ok: false, reason: "the server refused: no pg_hba.conf entry for host \"198.51.100.7\", user \"doadmin\", database \"defaultdb\", SSL encryption",
    });
    mode = "no-tls";
    assert.deepEqual(await probeCluster(endpoint), { ok: false, reason: "the server did not agree to TLS (answered \"N\")" });
    mode = "accept";
    const other = makeTestCa("someone else's CA");
    const wrongCa = await probeCluster({ ...endpoint, caPem: other.certificatePem });
    assert.equal(wrongCa.ok, false);
    assert.match((wrongCa as { reason: string }).reason, /^TLS: .*(self-signed|unable to verify|certificate)/i);
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = await probeCluster({ ...endpoint, host: "127.0.0.1", port });
    assert.equal(refused.ok, false);
    assert.match((refused as { reason: string }).reason, /ECONNREFUSED/);
  });

  test("a port that never answers: the attempt gives up after its own timeout", async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      assert.deepEqual(await probeCluster({ ...endpoint, host: "127.0.0.1", port }, 300), { ok: false, reason: "no answer within 0.3 s" });
    } finally {
      silent.close();
    }
  });

  test("the wait: refused until the trusted sources apply, then accepted, with one message saying what it waits for", async () => {
    let calls = 0;
    mode = "pg_hba";
    const logs: string[] = [];
    const attempts = await waitUntilAccepting(endpoint, {
      intervalMs: 10,
      probe: (e, t) => {
        calls += 1;
        if (calls === 3) mode = "accept";
        return probeCluster(e, t);
      },
      log: (m) => logs.push(m),
    });
    assert.equal(attempts, 3);
    assert.equal(logs.length, 2);
    assert.match(logs[0] ?? "", /^waiting up to 5 min for localhost:\d+ to accept a PostgreSQL connection from this machine before the grants \(the server refused: no pg_hba\.conf entry/);
    assert.match(logs[0] ?? "", /docstown:operators\.databaseCidrs/);
    assert.match(logs[1] ?? "", /accepts connections from this machine \(attempt 3,/);
  });
});

describe("the wait is bounded", () => {
  const endpoint: ClusterEndpoint = { host: "db.example", port: 25060, caPem: "", user: "doadmin", database: "defaultdb" };

  test("it gives up at the deadline with a message naming the host, the last reason and the config key", async () => {
    let clock = 0;
    const refused: ProbeResult = { ok: false, reason: "connect ETIMEDOUT 203.0.113.5:25060" };
    await assert.rejects(
      waitUntilAccepting(endpoint, {
        timeoutMs: 60_000, intervalMs: 5_000,
        probe: async () => refused,
        now: () => clock,
        sleep: async (ms) => {
          clock += ms;
        },
      }),
      (error: Error) => {
        assert.equal(error.message, timeoutMessage(endpoint, 60_000, refused.reason));
        assert.match(error.message, /^db\.example:25060 did not accept a PostgreSQL connection from this machine within 1 min \(last attempt: connect ETIMEDOUT 203\.0\.113\.5:25060\)\. .*its public IPv4 must be in docstown:operators\.databaseCidrs/);
        return true;
      },
    );
    assert.ok(clock <= 60_000, `it stopped at the deadline (${clock} ms)`);
    assert.match(waitingMessage(endpoint, 300_000, "x"), /waiting up to 5 min for db\.example:25060/);
  });
});
