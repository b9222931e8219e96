// docstown:app.maintenance on and off, rendered under the mocks and compared the way
// `npm run synth -- --compare` does: only the proxy's Caddyfile changes (the proxy is replaced,
// delete first); web, worker, migrate, the droplet and everything else keep their inputs, so
// switching back restores service without restarting the app.
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { before, describe, test } from "node:test";
import { CADDYFILE_PATH } from "../../src/app/containers";
import { compareGraphs, formatChanges, type GraphChange } from "../../src/synth/compare";
import { toJson } from "../../src/synth/render";
import { readStackFile } from "../../src/synth/stack-file";
import { PROJECT_DIR, synthStack } from "../harness";

type Stack = "production" | "local";
const committedApp = (stack: Stack) =>
  JSON.parse(readStackFile(resolve(PROJECT_DIR, `Pulumi.${stack}.yaml`), true).config["docstown:app"] ?? "{}") as Record<string, unknown>;
const render = async (stack: Stack, maintenance?: boolean) =>
  toJson(await synthStack(stack, maintenance === undefined ? {} : { "docstown:app": JSON.stringify({ ...committedApp(stack), maintenance }) }), []);
type Doc = Awaited<ReturnType<typeof render>>;

const shortName = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
const caddyfile = (doc: Doc): string => {
  const proxy = doc.resources.find((r) => shortName(r.urn) === "docstown-proxy");
  const uploads = (proxy?.inputs["uploads"] ?? []) as { file: string; content: string }[];
  return uploads.find((u) => u.file === CADDYFILE_PATH)?.content ?? "";
};

for (const stack of ["production", "local"] as const) {
  describe(`${stack}: app.maintenance`, () => {
    // The committed config leaves maintenance out: off, the default.
    let off: Doc;
    let on: Doc;
    let onChanges: GraphChange[];
    before(async () => {
      [off, on] = [await render(stack), await render(stack, true)];
      onChanges = compareGraphs(off, on);
    });

    test("is off by default: the committed config forwards to web", () => {
      assert.equal(committedApp(stack)["maintenance"], undefined);
      assert.match(caddyfile(off), /reverse_proxy/);
    });

    test("on changes the proxy's Caddyfile and nothing else; the proxy is replaced delete-first", () => {
      assert.deepEqual(onChanges.map((c) => [shortName(c.urn), c.keys]), [["docstown-proxy", ["uploads"]]], formatChanges(onChanges));
      const proxy = on.resources.find((r) => shortName(r.urn) === "docstown-proxy");
      assert.equal(proxy?.options["deleteBeforeReplace"], true, "published ports: the old proxy goes first");
      assert.match(caddyfile(on), /respond "[^"]*DocsTown is down for maintenance[^"]*" 503/);
      assert.doesNotMatch(caddyfile(on), /reverse_proxy/);
    });

    test("off again: the render is the one before, so web and worker are never touched either way", async () => {
      const back = compareGraphs(on, off);
      assert.deepEqual(back.map((c) => shortName(c.urn)), ["docstown-proxy"]);
      for (const role of ["docstown-web", "docstown-worker", "docstown-migrate"]) {
        assert.ok(!onChanges.some((c) => shortName(c.urn) === role), `${role} unchanged`);
      }
    });
  });
}
