import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { downSummary, parseOutputs, retainedVolumes, upSummary } from "../../engine/local/outputs";

describe("local:up outputs", () => {
  it("reads the URL, the proxy container and the CA path of the local stack", () => {
    const outputs = parseOutputs(JSON.stringify({ url: "https://localhost:8443", proxyContainer: "docstown-proxy-1", caPath: "/data/caddy/pki/authorities/local/root.crt", imageDigest: "[secret]" }));
    assert.deepEqual(outputs, { url: "https://localhost:8443", proxyContainer: "docstown-proxy-1", caPath: "/data/caddy/pki/authorities/local/root.crt" });
  });

  it("needs the url output", () => {
    assert.throws(() => parseOutputs("{}"), /no url output/);
  });

  it("ends with the URL, a curl that trusts the copied CA, and how to trust it for good", () => {
    const lines = upSummary("https://localhost:8443", "/s/docstown-local-ca.crt");
    assert.equal(lines[0], "local: up: https://localhost:8443");
    assert.ok(lines.some((l) => l.includes("curl --cacert /s/docstown-local-ca.crt https://localhost:8443/up")));
    assert.ok(lines.some((l) => l.includes("update-ca-certificates")));
    assert.ok(lines.every((l) => l.startsWith("local: ")));
  });
});

describe("local:down retained volumes", () => {
  const exported = JSON.stringify({
    version: 3,
    deployment: {
      resources: [
        { type: "docker:index/volume:Volume", retainOnDelete: true, outputs: { name: "docstown-repos" } },
        { type: "docker:index/volume:Volume", retainOnDelete: true, outputs: { name: "docstown-proxy-data" } },
        { type: "docker:index/volume:Volume", outputs: { name: "3f2a-postgres-data" } },
        { type: "docker:index/container:Container", retainOnDelete: true, outputs: { name: "not-a-volume" } },
      ],
    },
  });

  it("are the Docker volumes the state marks retainOnDelete", () => {
    assert.deepEqual(retainedVolumes(exported), ["docstown-proxy-data", "docstown-repos"]);
    assert.deepEqual(retainedVolumes(JSON.stringify({ version: 3, deployment: {} })), []);
  });

  it("are named after destroy with the command that removes them for good", () => {
    const lines = downSummary(["docstown-proxy-data", "docstown-repos"], new Set(["docstown-proxy-data", "docstown-repos"]));
    assert.match(lines[0] ?? "", /kept volumes docstown-proxy-data, docstown-repos/);
    assert.equal(lines[1], "local: to delete them for good: docker volume rm docstown-proxy-data docstown-repos");
  });

  it("are not claimed when they are gone", () => {
    assert.deepEqual(downSummary(["docstown-repos"], new Set()), ["local: down: every container, network and volume of the local stack is gone"]);
  });
});
