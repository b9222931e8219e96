// On a first preview the droplet does not exist, so the Docker provider is unconfigured and the
// engine would answer a registry lookup through it with an empty result. The lookups must wait for
// the server's readiness step, whose id is unknown until it has run.
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "../../src/config/load";
import { createMocks } from "../../src/synth/mocks";
import { readStackFile } from "../../src/synth/stack-file";
import { composeStack } from "../../stacks";
import { PROJECT_DIR } from "../harness";

test("in a first preview no image is looked up through the not-yet-configured Docker provider", async () => {
  const { config, secretKeys } = readStackFile(resolve(PROJECT_DIR, "Pulumi.production.yaml"), true);
  pulumi.runtime.setAllConfig(config, secretKeys);
  const mocks = createMocks();
  const lookups: string[] = [];
  let failure: unknown;
  await pulumi.runtime.setMocks({
    async newResource(args) {
      const answer = await mocks.newResource(args);
      // The readiness command is still to be created: a preview knows no id for it.
      return args.type === "command:remote:Command" ? { id: undefined, state: {} } : answer;
    },
    call(args) {
      if (args.token === "docker:index/getRegistryImage:getRegistryImage") lookups.push(String(args.inputs["name"]));
      return mocks.call(args);
    },
  }, "docstown", "production", true);
  await pulumi.runtime.runInPulumiStack(async () => {
    try {
      return await composeStack(loadConfig());
    } catch (err) {
      failure = err;
      return {};
    }
  });
  await (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs?.();
  assert.equal(failure, undefined);
  assert.deepEqual(lookups, [], "lookups would reach an unconfigured provider");
});
