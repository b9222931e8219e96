// The check behind test/engine/schema-conformance.engine.test.ts, on a schema small enough to read.
import assert from "node:assert/strict";
import { test } from "node:test";
import { schemaMismatches, type PackageSchema } from "../../engine/schema-conformance";

const SCHEMA: PackageSchema = {
  provider: { inputProperties: { host: { type: "string" }, registryAuth: { type: "array", items: { $ref: "#/types/docker:index/ProviderRegistryAuth:ProviderRegistryAuth" } } } },
  resources: {
    "docker:index/container:Container": {
      inputProperties: {
        image: { type: "string" },
        memory: { type: "integer" },
        capabilities: { $ref: "#/types/docker:index/ContainerCapabilities:ContainerCapabilities" },
        tmpfs: { type: "object", additionalProperties: { type: "string" } },
        mustRun: { type: "boolean" },
      },
    },
  },
  types: {
    "docker:index/ContainerCapabilities:ContainerCapabilities": { type: "object", properties: { adds: { type: "array", items: { type: "string" } }, drops: { type: "array", items: { type: "string" } } } },
    "docker:index/ProviderRegistryAuth:ProviderRegistryAuth": { type: "object", properties: { address: { type: "string" }, password: { type: "string" } } },
  },
};

const container = (inputs: Record<string, unknown>) => ({ type: "docker:index/container:Container", name: "web", inputs });

test("inputs that match the schema pass, and other packages are not judged", () => {
  const sent = [
    container({ image: "sha256:1", memory: 512, capabilities: { drops: ["ALL"], adds: ["CAP_CHOWN"] }, tmpfs: { "/tmp": "rw" }, mustRun: false }),
    { type: "pulumi:providers:docker", name: "p", inputs: { host: "ssh://deploy@1.2.3.4", registryAuth: [{ address: "ghcr.io", password: "[secret]" }], version: "5.2.0" } },
    // The SDK sends a provider's non-string inputs as JSON text.
    { type: "pulumi:providers:docker", name: "q", inputs: { registryAuth: JSON.stringify([{ address: "ghcr.io" }]) } },
    { type: "tls:index/privateKey:PrivateKey", name: "k", inputs: { anything: 1 } },
  ];
  assert.deepEqual(schemaMismatches(SCHEMA, "docker", sent), []);
});

test("a property the schema lacks fails by name, nested ones with their path", () => {
  assert.deepEqual(schemaMismatches(SCHEMA, "docker", [container({ image: "x", pidsLimit: 10 })]), [
    "docker:index/container:Container web: pidsLimit: not in the plugin's schema",
  ]);
  assert.deepEqual(schemaMismatches(SCHEMA, "docker", [container({ capabilities: { add: ["CAP_CHOWN"] } })]), [
    "docker:index/container:Container web: capabilities.add: not in the plugin's schema",
  ]);
});

test("a value of another shape fails: string for integer, object for list, list for map", () => {
  const problems = schemaMismatches(SCHEMA, "docker", [container({ memory: "512", capabilities: { drops: "ALL" }, tmpfs: ["/tmp"], mustRun: "false" })]);
  assert.deepEqual(problems, [
    'docker:index/container:Container web: memory: the schema wants an integer, the program sends "512"',
    "docker:index/container:Container web: capabilities.drops: the schema wants an array, the program sends a string",
    "docker:index/container:Container web: tmpfs: the schema wants a map, the program sends an array",
    "docker:index/container:Container web: mustRun: the schema wants a boolean, the program sends a string",
  ]);
});

test("a resource type the plugin does not serve fails", () => {
  assert.deepEqual(schemaMismatches(SCHEMA, "docker", [{ type: "docker:index/image:Image", name: "build", inputs: {} }]), [
    "docker:index/image:Image build: the plugin's schema has no such type",
  ]);
});

test("a provider input sent as JSON text is checked decoded", () => {
  const sent = [{ type: "pulumi:providers:docker", name: "p", inputs: { registryAuth: JSON.stringify([{ adress: "ghcr.io" }]) } }];
  assert.deepEqual(schemaMismatches(SCHEMA, "docker", sent), ["pulumi:providers:docker p: registryAuth[0].adress: not in the plugin's schema"]);
});
