// On a first preview the droplet does not exist, so the Docker provider is unconfigured and the
// engine would answer a registry lookup through it with an empty result. The lookups must wait for
// the server's readiness step, whose id is unknown until it has run.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runProductionUnderMocks } from "../harness";

test("in a first preview no image is looked up through the not-yet-configured Docker provider", async () => {
  const lookups: string[] = [];
  await runProductionUnderMocks(true, {
    // The readiness command is still to be created: a preview knows no id for it.
    newResource: (args, answer) => (args.type === "command:remote:Command" ? { id: undefined, state: {} } : answer),
    call(args) {
      if (args.token === "docker:index/getRegistryImage:getRegistryImage") lookups.push(String(args.inputs["name"]));
      return undefined;
    },
  });
  assert.deepEqual(lookups, [], "lookups would reach an unconfigured provider");
});
