import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { describe, it } from "node:test";
import { dockerProblem, goProblem, ownProxyPorts, portProblem } from "../../engine/local/preflight";
import { portBusy } from "../../engine/local/probes";
import { freePort } from "../net";

describe("local:up preflight: Docker", () => {
  it("is satisfied when docker info succeeds", () => {
    assert.equal(dockerProblem({ missing: false, status: 0, stderr: "" }, undefined), undefined);
  });

  it("says to install Docker when the CLI is not on PATH", () => {
    assert.match(dockerProblem({ missing: true, status: null, stderr: "" }, undefined) ?? "", /^docker is not on PATH: install Docker Engine/);
  });

  it("says to start the daemon, quoting docker info's first line, when none answers", () => {
    const line = dockerProblem(
      { missing: false, status: 1, stderr: "\nCannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\nmore\n" },
      "unix:///var/run/docker.sock",
    );
    assert.equal(
      line,
      "no Docker engine answers at unix:///var/run/docker.sock (docker info: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?): start it (e.g. sudo systemctl start docker) or fix DOCKER_HOST, then run this again",
    );
    assert.ok(!line.includes("\n"));
  });
});

describe("local:up preflight: Go", () => {
  it("is not needed when nothing must be built", () => {
    assert.equal(goProblem([], false), undefined);
  });

  it("is enough when present", () => {
    assert.equal(goProblem(["the demo images"], true), undefined);
  });

  it("names what must be built when it is missing", () => {
    assert.equal(
      goProblem(["the Pulumi engine (pulumi-resource-docker)", "the demo images"], false),
      "go is not on PATH and the Pulumi engine (pulumi-resource-docker) and the demo images must be built from Go modules: install Go 1.26 or newer (https://go.dev/doc/install)",
    );
  });
});

describe("local:up preflight: published ports", () => {
  it("reads the host ports of our proxy containers from docker ps", () => {
    const ports = ownProxyPorts("0.0.0.0:8080->80/tcp, :::8080->80/tcp, 0.0.0.0:8443->443/tcp, :::8443->443/tcp\n127.0.0.1:9443->443/tcp\n");
    assert.deepEqual([...ports].sort(), [8080, 8443, 9443]);
    assert.equal(ownProxyPorts("").size, 0);
  });

  it("accepts a free port and one our own proxy holds", () => {
    assert.equal(portProblem("local.httpsPort", 8443, false, new Set()), undefined);
    assert.equal(portProblem("local.httpsPort", 8443, true, new Set([8080, 8443])), undefined);
  });

  it("refuses a port held by something else, saying how to pick another", () => {
    const line = portProblem("local.httpsPort", 8443, true, new Set([8080]));
    assert.match(line ?? "", /^port 8443 \(docstown:local\.httpsPort\) is in use by another program: /);
    assert.match(line ?? "", /DOCSTOWN_LOCAL_CONFIG='\{"local\.httpsPort": <port>\}'/);
  });
});

describe("local:up preflight: probing a port", () => {
  const listen = (port: number, host: string) =>
    new Promise<Server>((resolve, reject) => {
      const server = createServer().listen(port, host, () => resolve(server));
      server.on("error", reject);
    });

  it("sees a port nothing listens on as free", async () => {
    assert.equal(await portBusy(await freePort()), false);
  });

  it("sees a port a loopback-only listener holds as busy", async () => {
    const port = await freePort();
    const server = await listen(port, "127.0.0.1");
    try {
      assert.equal(await portBusy(port), true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    assert.equal(await portBusy(port), false, "free again once the listener is gone");
  });
});
