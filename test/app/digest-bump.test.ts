// A new image digest replaces the app containers and nothing else; the same digest changes nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { RecordedResource, SynthResult } from "../../src/synth/recorder";
import { containerEnv, synthStack } from "../harness";

// The committed docstown:app of Pulumi.production.yaml, pinned to a digest.
const app = (digest: string) =>
  JSON.stringify({
    image: "ghcr.io/docstown/docstown",
    tag: "latest",
    registry: { server: "ghcr.io", username: "docstown-deploy" },
    githubClientId: "Iv1.docstownprod0001",
    jobConcurrency: 2,
    digest,
  });
const A = `sha256:${"a".repeat(64)}`;
const B = `sha256:${"b".repeat(64)}`;

const synth = (digest: string) => synthStack("production", { "docstown:app": app(digest) });
const byUrn = (r: SynthResult) => new Map(r.resources.map((x) => [x.urn, x]));
const fingerprint = (x: RecordedResource) =>
  JSON.stringify({ inputs: x.inputs, secretPaths: x.secretPaths, options: x.options, parent: x.parent, provider: x.provider });

function changed(before: SynthResult, after: SynthResult): string[] {
  const a = byUrn(before);
  const b = byUrn(after);
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), "the same resources exist before and after");
  return [...a.keys()].filter((urn) => fingerprint(a.get(urn) as RecordedResource) !== fingerprint(b.get(urn) as RecordedResource)).sort();
}

const APP = "urn:pulumi:production::docstown::docstown:app:RailsApp";
const EXPECTED = [
  `${APP}$docker:index/container:Container::docstown-migrate`,
  `${APP}$docker:index/container:Container::docstown-web`,
  `${APP}$docker:index/container:Container::docstown-worker`,
  `${APP}$docker:index/remoteImage:RemoteImage::docstown-image`,
];

let runs: Promise<[SynthResult, SynthResult, SynthResult]> | undefined;
const graphs = () => (runs ??= (async () => [await synth(A), await synth(A), await synth(B)] as [SynthResult, SynthResult, SynthResult])());

test("a new digest changes exactly the image, migrate, web and worker", async () => {
  const [a, , b] = await graphs();
  assert.deepEqual(changed(a, b), EXPECTED);
});

test("server, volume, database, DNS, proxy and the Docker provider are untouched by a new digest", async () => {
  const [a, , b] = await graphs();
  const moved = new Set(changed(a, b));
  const untouched = a.resources.filter((r) => /digitalocean:|cloudflare:|postgresql:|command:|tls:|pulumi:providers:|docstown-proxy|docstown-network/.test(r.urn));
  assert.ok(untouched.length > 30, "the check covers the whole infrastructure");
  for (const r of untouched) assert.ok(!moved.has(r.urn), `${r.name} did not change`);
});

test("what changes is the release: the pulled reference, the image and SENTRY_RELEASE", async () => {
  const [a, , b] = await graphs();
  const web = (r: SynthResult) => r.resources.find((x) => x.urn === EXPECTED[1]) as RecordedResource;
  const image = (r: SynthResult) => r.resources.find((x) => x.urn === EXPECTED[3]) as RecordedResource;
  assert.equal(image(a).inputs["name"], `ghcr.io/docstown/docstown@${A}`);
  assert.equal(image(b).inputs["name"], `ghcr.io/docstown/docstown@${B}`);
  assert.notEqual(web(a).inputs["image"], web(b).inputs["image"]);
  assert.equal(containerEnv(web(a)).env["SENTRY_RELEASE"], A);
  assert.equal(containerEnv(web(b)).env["SENTRY_RELEASE"], B);
  assert.equal((b.outputs["app"] as Record<string, unknown>)["imageDigest"], B);
});

test("a redeploy of the same digest records an identical graph (no timestamps, no randomness)", async () => {
  const [a, again] = await graphs();
  assert.deepEqual(changed(a, again), []);
});
