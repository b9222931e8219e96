// The proxy image is pinned by digest: a tag that moves in the registry never changes the proxy
// (a proxy change stops the old container before the new one binds 80/443: a short outage), and
// an upgrade is a deliberate change of docstown:app.proxyImage.
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { describe, test } from "node:test";
import { parseImageReference } from "../../src/app/image";
import { productionSchema } from "../../src/config/schema";
import { validateConfig } from "../../src/config/validate";
import { SECRET_KEYS } from "../../src/config/secrets";
import { readStackFile } from "../../src/synth/stack-file";
import { PROJECT_DIR, runProductionUnderMocks } from "../harness";

const production = readStackFile(resolve(PROJECT_DIR, "Pulumi.production.yaml"), true).config;
const DEFAULT = productionSchema.shape.app.parse({ image: "ghcr.io/docstown/docstown" }).proxyImage;

interface Render {
  /** Registry lookups the program made, by image name. */
  lookups: string[];
  /** The proxy's RemoteImage name and its container's image. */
  proxyImageName: string;
  proxyContainerImage: string;
}

/**
 * Renders production under the mocks, with the registry answering `registryDigest(name)` for any
 * tag lookup: two calls with different answers are the same config before and after the tag moved.
 */
async function render(registryDigest: (name: string) => string, overrides: Record<string, string> = {}): Promise<Render> {
  const lookups: string[] = [];
  const inputs = new Map<string, Record<string, unknown>>();
  await runProductionUnderMocks(false, {
    newResource(args, answer) {
      inputs.set(args.name, args.inputs as Record<string, unknown>);
      return answer;
    },
    call(args) {
      if (args.token !== "docker:index/getRegistryImage:getRegistryImage") return undefined;
      const name = String(args.inputs["name"]);
      lookups.push(name);
      return { name, sha256Digest: registryDigest(name), insecureSkipVerify: false };
    },
  }, overrides);
  return {
    lookups,
    proxyImageName: String(inputs.get("docstown-proxy-image")?.["name"]),
    proxyContainerImage: String(inputs.get("docstown-proxy")?.["image"]),
  };
}

describe("app.proxyImage", () => {
  test("the default names a Caddy release with caddyserver/caddy#7547 (2.11.2+) and pins its digest", () => {
    const ref = parseImageReference(DEFAULT);
    assert.equal(ref.repository, "caddy");
    assert.match(ref.digest ?? "", /^sha256:[0-9a-f]{64}$/, `${DEFAULT} pins a digest`);
    const [major, minor, patch] = (ref.tag ?? "").split(".").map(Number);
    assert.ok(major === 2 && (minor ?? 0) >= 11 && (minor! > 11 || (patch ?? 0) >= 2), `${DEFAULT} is 2.11.2 or later`);
  });

  test("a tag without a digest is refused, naming the key and the way out", () => {
    const raw = { ...production, "docstown:app": JSON.stringify({ ...JSON.parse(production["docstown:app"] ?? "{}"), proxyImage: "caddy:2.11" }) };
    const result = validateConfig(raw, new Set(SECRET_KEYS));
    assert.equal(result.ok, false);
    const errors = result.ok ? [] : result.errors;
    assert.equal(errors.length, 1, errors.join("\n"));
    assert.match(errors[0] ?? "", /^docstown:app\.proxyImage: must pin a digest/);
  });

  test("the pinned digest is used as is: no registry lookup for the proxy, and a moved tag changes nothing", async () => {
    const before = await render(() => `sha256:${"1".repeat(64)}`);
    const moved = await render(() => `sha256:${"2".repeat(64)}`);
    const digest = parseImageReference(DEFAULT).digest;
    assert.deepEqual(before.lookups.filter((n) => n.startsWith("caddy")), [], "the proxy image is never looked up");
    assert.equal(before.proxyImageName, `caddy@${digest}`);
    assert.equal(moved.proxyImageName, before.proxyImageName, "the registry's answer does not reach the proxy");
    assert.equal(moved.proxyContainerImage, before.proxyContainerImage);
    // The app image does follow its tag: the registry answer was used where it should be.
    assert.ok(before.lookups.some((n) => n.startsWith("ghcr.io/docstown/docstown:")), "the app's tag is still resolved");
  });

  test("upgrading is a config change: a new pinned reference is a new proxy image", async () => {
    const next = `caddy:2.11.3@sha256:${"a".repeat(64)}`;
    const app = { ...JSON.parse(production["docstown:app"] ?? "{}"), proxyImage: next };
    const upgraded = await render(() => `sha256:${"1".repeat(64)}`, { "docstown:app": JSON.stringify(app) });
    assert.equal(upgraded.proxyImageName, `caddy@sha256:${"a".repeat(64)}`);
    assert.deepEqual(upgraded.lookups.filter((n) => n.startsWith("caddy")), []);
  });
});
