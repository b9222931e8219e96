// What a runner job reads from `pulumi stack export` to reach the droplet and the database, and
// that nothing in the state can smuggle an extra line into $GITHUB_ENV.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { environmentLines, runnerTargets } from "../../src/runner-access/targets";

const HOST = "docstown-db-do-user-1-0.b.db.ondigitalocean.com";

function exported(over: { publicIp?: unknown; knownHostsLine?: unknown; host?: unknown; privateHost?: unknown; tags?: unknown[]; clusters?: number } = {}) {
  const cluster = { type: "digitalocean:index/databaseCluster:DatabaseCluster", outputs: { host: HOST, privateHost: "privateHost" in over ? over.privateHost : `private-${HOST}`, port: 25060 } };
  return {
    version: 3,
    deployment: {
      resources: [
        { type: "pulumi:pulumi:Stack", outputs: {
          publicIp: "publicIp" in over ? over.publicIp : "203.0.113.5",
          knownHostsLine: "knownHostsLine" in over ? over.knownHostsLine : "203.0.113.5 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC7iwlyD5cEPZw7bBIsHlTTcYk6rBmJ5MlsLoAOXpGRy",
          database: { host: "host" in over ? over.host : HOST },
        } },
        ...Array.from({ length: over.clusters ?? 1 }, () => cluster),
        { type: "digitalocean:index/firewall:Firewall", outputs: { tags: over.tags ?? ["docstown-production-server"] } },
      ],
    },
  };
}

describe("runner targets from the stack's state", () => {
  test("droplet address, pinned host key, firewall tag, the cluster's public and private hosts and port", () => {
    assert.deepEqual(environmentLines(runnerTargets(exported())), [
      "DOCSTOWN_SSH_HOST=203.0.113.5",
      "DOCSTOWN_KNOWN_HOSTS_LINE=203.0.113.5 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC7iwlyD5cEPZw7bBIsHlTTcYk6rBmJ5MlsLoAOXpGRy",
      "DOCSTOWN_FIREWALL_TAG=docstown-production-server",
      `DOCSTOWN_DB_HOST=${HOST}`,
      `DOCSTOWN_DB_PRIVATE_HOST=private-${HOST}`,
      "DOCSTOWN_DB_PORT=25060",
    ]);
  });

  test("a value that would add a line to $GITHUB_ENV, or is missing, is refused with the first deploy as the hint", () => {
    assert.throws(() => runnerTargets(exported({ host: `${HOST}\nNODE_OPTIONS=--require=/tmp/x` })), /database.host/);
    assert.throws(() => runnerTargets(exported({ privateHost: "a.b\nX=1" })), /privateHost/);
    assert.throws(() => runnerTargets(exported({ knownHostsLine: "" })), /knownHostsLine/);
    assert.throws(() => runnerTargets(exported({ publicIp: undefined })), /first-deploy/);
    assert.throws(() => runnerTargets(exported({ tags: [] })), /apply to a tag/);
    assert.throws(() => runnerTargets(exported({ tags: ["web,x"] })), /firewall tag/);
    assert.throws(() => runnerTargets(exported({ clusters: 0 })), /one database cluster/);
    assert.throws(() => runnerTargets({}), /publicIp/);
  });

  test("with web hosts, the opening covers every firewall's tag: the deploy reaches each host over SSH", () => {
    const lines = environmentLines(runnerTargets(exported({ tags: ["docstown-production-web", "docstown-production-server"] })));
    assert.ok(lines.includes("DOCSTOWN_FIREWALL_TAG=docstown-production-server,docstown-production-web"), lines.join("\n"));
  });
});
