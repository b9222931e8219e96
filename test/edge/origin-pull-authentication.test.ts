// Authenticated origin pulls: what Cloudflare is given, what stays secret, and what waits for what.
import assert from "node:assert/strict";
import { test } from "node:test";
import { productionSchema } from "../../src/config/schema";
import { Edge } from "../../src/edge/edge";
import {
  ORIGIN_PULL_CA_USES, ORIGIN_PULL_CLIENT_USES, OriginPullAuthentication,
} from "../../src/edge/origin-pull-authentication";
import { CADDYFILE_PATH, ORIGIN_PULL_CA_PATH } from "../../src/app/containers";
import { byType, isSecretPath, one, recordProgram, synthStack } from "../harness";

const UPLOAD = "cloudflare:index/authenticatedOriginPullsCertificate:AuthenticatedOriginPullsCertificate";
const SETTING = "cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings";
const ZONE = "0123456789abcdef0123456789abcdef";

test("the zone gets our own client certificate, its key as a secret, and the setting switched on after the upload", async () => {
  const result = await recordProgram(() => new OriginPullAuthentication("pull", { zoneId: ZONE, domain: "docstown.org" }));
  const upload = one(result, UPLOAD);
  const setting = one(result, SETTING);
  const client = one(result, "tls:index/locallySignedCert:LocallySignedCert");
  const ca = one(result, "tls:index/selfSignedCert:SelfSignedCert");

  assert.equal(upload.inputs["zoneId"], ZONE);
  assert.ok(isSecretPath(upload, "privateKey"), "the client key is uploaded as a secret");
  assert.ok(!isSecretPath(upload, "certificate"), "the certificate is public");
  assert.deepEqual(setting.inputs, { zoneId: ZONE, enabled: true });
  assert.ok(setting.dependencies.includes(upload.urn), "switched on only once the certificate is uploaded");

  // A CA of the stack's own, not Cloudflare's shared origin-pull CA, signs what the edge presents.
  assert.equal(ca.inputs["isCaCertificate"], true);
  assert.deepEqual(ca.inputs["allowedUses"], [...ORIGIN_PULL_CA_USES]);
  assert.deepEqual(client.inputs["allowedUses"], [...ORIGIN_PULL_CLIENT_USES]);
  assert.ok(client.dependencies.includes(ca.urn), "the client certificate is signed by that CA");
  assert.ok(upload.dependencies.includes(client.urn));
});

const EDGE = {
  domain: "docstown.org",
  publicIp: "203.0.113.7",
};

test("on by default in the production edge; switching it off declares none of it", async () => {
  const on = productionSchema.shape.cloudflare.parse({ zoneId: ZONE });
  assert.equal(on.authenticatedOriginPulls, true);
  let edge: Edge | undefined;
  const withPulls = await recordProgram(() => (edge = new Edge("edge", { ...EDGE, cloudflare: on })));
  assert.equal(byType(withPulls, UPLOAD).length, 1);
  assert.equal(byType(withPulls, SETTING).length, 1);
  assert.ok(edge?.originPull !== undefined, "the edge hands the proxy a CA to require");

  const off = productionSchema.shape.cloudflare.parse({ zoneId: ZONE, authenticatedOriginPulls: false });
  let plain: Edge | undefined;
  const without = await recordProgram(() => (plain = new Edge("edge", { ...EDGE, cloudflare: off })));
  assert.equal(byType(without, UPLOAD).length, 0);
  assert.equal(byType(without, SETTING).length, 0);
  assert.equal(plain?.originPull, undefined);
});

test("production: the proxy requires the origin-pull CA's client certificate and starts only after the zone presents one", async () => {
  const result = await synthStack("production");
  const proxy = one(result, "docker:index/container:Container", "-proxy");
  const ca = one(result, "tls:index/selfSignedCert:SelfSignedCert", "origin-pull");
  const setting = one(result, SETTING);
  const uploads = proxy.inputs["uploads"] as { file: string; content: string }[];
  const caddyfile = uploads.find((u) => u.file === CADDYFILE_PATH)?.content ?? "";
  assert.ok(uploads.some((u) => u.file === ORIGIN_PULL_CA_PATH), "the CA is uploaded beside the Caddyfile");
  assert.ok(caddyfile.includes(`\t\t\tmode require_and_verify\n\t\t\ttrusted_ca_cert_file ${ORIGIN_PULL_CA_PATH}`), caddyfile);
  assert.ok(proxy.dependencies.includes(ca.urn), "the uploaded CA is the stack's origin-pull CA");
  assert.ok(proxy.dependencies.includes(setting.urn), "the proxy waits for the zone setting");

  const local = await synthStack("local");
  // By role: the local stack's proxy-data-owner step is named after the proxy too.
  const isProxy = (c: { inputs: Record<string, unknown> }) =>
    ((c.inputs["labels"] as { label: string; value: string }[] | undefined) ?? []).some((l) => l.label === "docstown.role" && l.value === "proxy");
  const [localProxy, ...others] = byType(local, "docker:index/container:Container").filter(isProxy);
  assert.ok(localProxy !== undefined && others.length === 0, "one proxy in the local stack");
  const localUploads = localProxy.inputs["uploads"] as { file: string; content: string }[];
  assert.ok(!localUploads.some((u) => u.file === ORIGIN_PULL_CA_PATH), "no CDN in front of the local stack");
  assert.ok(!(localUploads.find((u) => u.file === CADDYFILE_PATH)?.content ?? "").includes("client_auth"));
});
