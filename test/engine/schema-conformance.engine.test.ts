// Every input the program sends to Docker, in both stacks, against the schema of the Docker plugin
// `npm run engine` builds: the mock runtime takes any property, the real plugin does not.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { schemaMismatches, type PackageSchema } from "../../engine/schema-conformance";
import { SCHEMA_DIR } from "../../engine/targets";
import { synthStack } from "../harness";
import { engineTest } from "./engine-test";

function pluginSchema(): PackageSchema {
  return JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, "pulumi-resource-docker.json"), "utf8")) as PackageSchema;
}

for (const stack of ["local", "production"] as const) {
  engineTest(`the ${stack} stack sends the Docker plugin only inputs its schema declares, in its shapes`, ["pulumi-resource-docker"], async () => {
    const schema = pluginSchema();
    const { resources } = await synthStack(stack);
    const docker = resources.filter((r) => r.type === "pulumi:providers:docker" || r.type.startsWith("docker:"));
    assert.ok(docker.some((r) => r.type === "docker:index/container:Container"), "the graph declares containers");
    assert.ok(docker.some((r) => r.type === "pulumi:providers:docker"), "the graph declares the Docker provider");
    assert.deepEqual(schemaMismatches(schema, "docker", docker), []);
  });
}

engineTest("a property the plugin's schema lacks is named", ["pulumi-resource-docker"], async () => {
  // The same check, fed the local graph with one invented container input: it must not pass.
  const { resources } = await synthStack("local");
  const web = resources.find((r) => r.type === "docker:index/container:Container" && r.name.endsWith("-web"));
  assert.ok(web, "a web container");
  const broken = { ...web, inputs: { ...web.inputs, pidsLimit: 256 } };
  assert.deepEqual(schemaMismatches(pluginSchema(), "docker", [broken]), [`docker:index/container:Container ${web.name}: pidsLimit: not in the plugin's schema`]);
});
