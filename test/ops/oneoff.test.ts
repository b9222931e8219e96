// The one-off container copied from a live one, and the one-file tar that carries an uploaded
// file (the database CA) into it, checked with the real `tar`.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { firstTarFile, oneFileTar, oneOffContainer, UPLOADED_FILES, type Inspected } from "../../src/ops/oneoff";

const LIVE: Inspected = {
  Id: "f".repeat(64),
  Image: `sha256:${"1".repeat(64)}`,
  Config: {
    Env: ["RAILS_ENV=production", "RAILS_MASTER_KEY=secret-value-1234"],
    Entrypoint: ["/rails/bin/docker-entrypoint"],
    WorkingDir: "/rails",
    User: "1000",
    Labels: { "docstown.role": "web", "docstown.release": `sha256:${"2".repeat(64)}`, "docstown.host": "123" },
  },
  HostConfig: {
    Binds: ["/data/repos:/data/repos"], CapDrop: ["ALL"], SecurityOpt: ["no-new-privileges:true"], Memory: 1610612736, MemorySwap: 1610612736,
    Ulimits: [{ Name: "nproc", Soft: 512, Hard: 512 }], Init: true, PortBindings: { "80/tcp": [{ HostPort: "80" }] }, RestartPolicy: { Name: "unless-stopped" },
    LogConfig: { Type: "journald", Config: { tag: "docstown-production" } },
  },
  NetworkSettings: { Networks: { "docstown-network-abc": { Aliases: ["web", "f".repeat(12)] }, "docstown-db-net": { Aliases: null } } },
};

test("a one-off: the live container's image, env, user, mounts, confinement and networks; no alias, role, health check, restart, ports or log", () => {
  const { create, moreNetworks } = oneOffContainer(LIVE, "web", ["./bin/rails", "runner", "1"], false);
  const host = create["HostConfig"] as Record<string, unknown>;
  assert.equal(create["Image"], LIVE.Image);
  assert.deepEqual(create["Env"], LIVE.Config.Env);
  assert.deepEqual([create["User"], create["WorkingDir"], create["Entrypoint"], create["Cmd"]], ["1000", "/rails", ["/rails/bin/docker-entrypoint"], ["./bin/rails", "runner", "1"]]);
  assert.deepEqual(create["Labels"], { "docstown.oneoff": "web", "docstown.release": `sha256:${"2".repeat(64)}` }, "no docstown.role: the proxy and the runbooks never take it for web");
  assert.deepEqual(create["Healthcheck"], { Test: ["NONE"] });
  assert.deepEqual(create["NetworkingConfig"], { EndpointsConfig: { "docstown-network-abc": {} } }, "no `web` alias: no request is routed to it");
  assert.deepEqual(moreNetworks, ["docstown-db-net"]);
  assert.deepEqual(
    { binds: host["Binds"], caps: host["CapDrop"], sec: host["SecurityOpt"], mem: host["Memory"], ulimits: host["Ulimits"], init: host["Init"], net: host["NetworkMode"] },
    { binds: ["/data/repos:/data/repos"], caps: ["ALL"], sec: ["no-new-privileges:true"], mem: 1610612736, ulimits: [{ Name: "nproc", Soft: 512, Hard: 512 }], init: true, net: "docstown-network-abc" },
  );
  assert.equal(host["PortBindings"], undefined);
  assert.deepEqual(host["RestartPolicy"], { Name: "no" });
  assert.deepEqual(host["LogConfig"], { Type: "none", Config: {} });
  assert.equal(create["Tty"], false);
  assert.equal(oneOffContainer(LIVE, "web", ["sh"], true).create["Tty"], true);
  assert.deepEqual(UPLOADED_FILES, ["/etc/docstown/database-ca.crt"]);
});

test("the uploaded file travels as a tar the real tar reads back (path, mode, content); a tar's first file is read", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "docstown-ops-tar-"));
  try {
    const pem = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    fs.writeFileSync(path.join(dir, "one.tar"), oneFileTar("/etc/docstown/database-ca.crt", pem));
    assert.match(execFileSync("tar", ["-tvf", path.join(dir, "one.tar")], { encoding: "utf8" }), /^-r--r--r-- 0\/0 +\d+ .* etc\/docstown\/database-ca\.crt\n$/);
    execFileSync("tar", ["-xf", path.join(dir, "one.tar"), "-C", dir]);
    assert.deepEqual(fs.readFileSync(path.join(dir, "etc/docstown/database-ca.crt")), pem);
    // What GET /containers/{id}/archive answers for one file: a tar of its base name.
    execFileSync("tar", ["-cf", path.join(dir, "got.tar"), "-C", path.join(dir, "etc/docstown"), "database-ca.crt"]);
    assert.deepEqual(firstTarFile(fs.readFileSync(path.join(dir, "got.tar"))), pem);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
