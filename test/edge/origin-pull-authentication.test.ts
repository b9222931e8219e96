// Authenticated origin pulls: what Cloudflare is given, what stays secret, what waits for what,
// what the switch changes (values, never URNs) and how the client certificate is renewed.
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { describe, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { productionSchema } from "../../src/config/schema";
import { Edge } from "../../src/edge/edge";
import {
  ORIGIN_PULL_CA_USES, ORIGIN_PULL_CLIENT_USES, ORIGIN_PULL_EARLY_RENEWAL_HOURS, ORIGIN_PULL_CLIENT_VALIDITY_HOURS, OriginPullAuthentication,
} from "../../src/edge/origin-pull-authentication";
import { ORIGIN_PULL_WAIT_SCRIPT } from "../../src/edge/origin-pull-wait";
import { CADDYFILE_PATH, ORIGIN_PULL_CA_PATH } from "../../src/app/containers";
import { compareGraphs, formatChanges } from "../../src/synth/compare";
import type { RecordedResource, SynthResult } from "../../src/synth/recorder";
import { byType, isSecretPath, one, recordProgram, runProductionUnderMocks, synthStack } from "../harness";

const UPLOAD = "cloudflare:index/authenticatedOriginPullsCertificate:AuthenticatedOriginPullsCertificate";
const SETTING = "cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings";
const WAIT = "command:local:Command";
const CA = "tls:index/selfSignedCert:SelfSignedCert";
const CLIENT = "tls:index/locallySignedCert:LocallySignedCert";
const KEY = "tls:index/privateKey:PrivateKey";
const PROXY = "docker:index/container:Container";
const ZONE = "0123456789abcdef0123456789abcdef";
const OFF = { "docstown:cloudflare": JSON.stringify({ authenticatedOriginPulls: false }) };

const proxyOf = (result: SynthResult) => one(result, PROXY, "-proxy");
const uploadsOf = (proxy: RecordedResource) => proxy.inputs["uploads"] as { file: string; content: string }[];
const caddyfileOf = (proxy: RecordedResource) => uploadsOf(proxy).find((u) => u.file === CADDYFILE_PATH)?.content ?? "";
const REQUIRE = `\t\t\tmode require_and_verify\n\t\t\ttrusted_ca_cert_file ${ORIGIN_PULL_CA_PATH}`;

test("the zone gets our own client certificate, its key as a secret, and the setting switched on once the upload is active", async () => {
  const result = await recordProgram(() => new OriginPullAuthentication("pull", { zoneId: ZONE, domain: "docstown.org", enabled: true }));
  const upload = one(result, UPLOAD);
  const setting = one(result, SETTING);
  const wait = one(result, WAIT);
  const client = one(result, CLIENT);
  const ca = one(result, CA);

  assert.equal(upload.inputs["zoneId"], ZONE);
  assert.ok(isSecretPath(upload, "privateKey"), "the client key is uploaded as a secret");
  assert.ok(!isSecretPath(upload, "certificate"), "the certificate is public");
  assert.deepEqual(setting.inputs, { zoneId: ZONE, enabled: true });
  assert.ok(setting.options.dependsOn.includes(wait.urn), "switched on only once Cloudflare reports the upload active");

  // The wait polls Cloudflare for this upload: its id is the trigger, so every new upload waits anew.
  assert.deepEqual(wait.propertyDependencies["triggers"], [upload.urn]);
  assert.deepEqual(wait.inputs["triggers"], [upload.id]);
  const environment = wait.inputs["environment"] as Record<string, string>;
  assert.deepEqual({ zone: environment["ZONE_ID"], certificate: environment["CERTIFICATE_ID"] }, { zone: ZONE, certificate: upload.id });
  assert.deepEqual(wait.inputs["interpreter"], ["node", "-e", ORIGIN_PULL_WAIT_SCRIPT]);
  assert.ok(!JSON.stringify(wait.inputs).includes("CLOUDFLARE_API_TOKEN="), "the token comes from the deploying shell, never from the inputs");

  // A CA of the stack's own, not Cloudflare's shared origin-pull CA, signs what the edge presents.
  assert.equal(ca.inputs["isCaCertificate"], true);
  assert.deepEqual(ca.inputs["allowedUses"], [...ORIGIN_PULL_CA_USES]);
  assert.deepEqual(client.inputs["allowedUses"], [...ORIGIN_PULL_CLIENT_USES]);
  assert.ok(client.dependencies.includes(ca.urn), "the client certificate is signed by that CA");
  assert.ok(upload.dependencies.includes(client.urn));
});

test("off, alone, the component declares the same CA, certificate, upload and wait, and no setting until told what to wait for", async () => {
  let pull: OriginPullAuthentication | undefined;
  const on = await recordProgram(() => new OriginPullAuthentication("pull", { zoneId: ZONE, domain: "docstown.org", enabled: true }));
  const off = await recordProgram(() => {
    pull = new OriginPullAuthentication("pull", { zoneId: ZONE, domain: "docstown.org", enabled: false });
    const proxy = new pulumi.ComponentResource("test:index:Proxy", "proxy", {});
    pull.switchOffAfter(proxy);
    assert.throws(() => pull?.switchOffAfter(proxy), /called twice/);
  });
  assert.equal(pull?.ready, undefined, "nothing for a proxy to wait for");
  const setting = one(off, SETTING);
  assert.deepEqual(setting.inputs, { zoneId: ZONE, enabled: false });
  assert.deepEqual(setting.options.dependsOn, [one(off, "test:index:Proxy").urn]);
  assert.equal(setting.urn, one(on, SETTING).urn);
  for (const type of [CA, KEY, CLIENT, UPLOAD, WAIT]) {
    assert.deepEqual(byType(off, type).map((r) => [r.urn, r.inputs]), byType(on, type).map((r) => [r.urn, r.inputs]), type);
  }
});

describe("the switch in the production stack", () => {
  test("on by default: the proxy requires the CA's client certificate and starts only after the zone presents one", async () => {
    assert.equal(productionSchema.shape.cloudflare.parse({ zoneId: ZONE }).authenticatedOriginPulls, true);
    const result = await synthStack("production");
    const proxy = proxyOf(result);
    const ca = one(result, CA, "origin-pull");
    const setting = one(result, SETTING);
    assert.equal(setting.inputs["enabled"], true);
    assert.ok(uploadsOf(proxy).some((u) => u.file === ORIGIN_PULL_CA_PATH), "the CA is uploaded beside the Caddyfile");
    assert.ok(caddyfileOf(proxy).includes(REQUIRE), caddyfileOf(proxy));
    assert.ok(proxy.dependencies.includes(ca.urn), "the uploaded CA is the stack's origin-pull CA");
    assert.ok(proxy.dependencies.includes(setting.urn), "the proxy waits for the zone setting");
    assert.ok(setting.dependencies.includes(one(result, WAIT).urn), "which waits for the upload to be active");
    assert.ok(!setting.dependencies.includes(proxy.urn));
    assert.equal(result.outputs["originPullCertificateExpiresOn"], "2029-11-20T00:00:00Z");

    const local = await synthStack("local");
    // By role: the local stack's proxy-data-owner step is named after the proxy too.
    const isProxy = (c: { inputs: Record<string, unknown> }) =>
      ((c.inputs["labels"] as { label: string; value: string }[] | undefined) ?? []).some((l) => l.label === "docstown.role" && l.value === "proxy");
    const [localProxy, ...others] = byType(local, PROXY).filter(isProxy);
    assert.ok(localProxy !== undefined && others.length === 0, "one proxy in the local stack");
    assert.ok(!uploadsOf(localProxy).some((u) => u.file === ORIGIN_PULL_CA_PATH), "no CDN in front of the local stack");
    assert.ok(!caddyfileOf(localProxy).includes("client_auth"));
  });

  test("off: the setting is set to false after the proxy stops requiring client certificates, and nothing is deleted", async () => {
    const on = await synthStack("production");
    const off = await synthStack("production", OFF);
    const proxy = proxyOf(off);
    const setting = one(off, SETTING);
    assert.deepEqual(setting.inputs, { zoneId: one(on, SETTING).inputs["zoneId"], enabled: false });
    assert.ok(setting.options.dependsOn.includes(proxy.urn), "the zone stops presenting the certificate only once the proxy no longer requires it");
    assert.ok(!proxy.dependencies.includes(setting.urn));
    assert.ok(!caddyfileOf(proxy).includes("client_auth"), caddyfileOf(proxy));
    assert.ok(!uploadsOf(proxy).some((u) => u.file === ORIGIN_PULL_CA_PATH));

    // The same URNs either way; only the setting's value and the proxy's Caddyfile and files change.
    const changes = compareGraphs(on, off);
    assert.deepEqual(changes.filter((c) => c.kind !== "changed"), [], formatChanges(changes));
    assert.deepEqual(changes.map((c) => c.urn).sort(), [proxyOf(on).urn, setting.urn].sort(), formatChanges(changes));
    assert.deepEqual(changes.find((c) => c.urn === setting.urn)?.keys, ["enabled", "options.dependsOn"]);
    assert.deepEqual(changes.find((c) => c.urn === proxy.urn)?.keys, ["uploads", "options.dependsOn"]);
  });

  test("off and on again: the CA, its key, the client certificate, its upload and the wait keep their URNs and inputs", async () => {
    const first = await synthStack("production");
    const off = await synthStack("production", OFF);
    const again = await synthStack("production");
    for (const result of [off, again]) {
      for (const type of [CA, CLIENT, UPLOAD, WAIT]) {
        assert.deepEqual(byType(result, type).map((r) => [r.urn, r.inputs]), byType(first, type).map((r) => [r.urn, r.inputs]), type);
      }
      const keys = (r: SynthResult) => byType(r, KEY).filter((k) => k.name.includes("origin-pull")).map((k) => [k.urn, k.inputs]);
      assert.equal(keys(result).length, 2, "the CA's key and the client's key");
      assert.deepEqual(keys(result), keys(first));
    }
    // The proxy trusts the very CA it trusted before the switch went off.
    const caFile = (r: SynthResult) => uploadsOf(proxyOf(r)).find((u) => u.file === ORIGIN_PULL_CA_PATH)?.content;
    assert.ok(caFile(first)?.includes("BEGIN CERTIFICATE"));
    assert.equal(caFile(again), caFile(first));
  });
});

describe("renewal of the client certificate", () => {
  test("every link from the certificate to Cloudflare is replaced create-before-delete, signed by the CA that is never renewed", async () => {
    const result = await synthStack("production");
    const ca = one(result, CA, "origin-pull");
    const client = one(result, CLIENT);
    const upload = one(result, UPLOAD);
    const wait = one(result, WAIT);
    // Early renewal replaces the client certificate in its last 90 days of 3 years; the CA has no early renewal and 15 years.
    assert.equal(client.inputs["validityPeriodHours"], ORIGIN_PULL_CLIENT_VALIDITY_HOURS);
    assert.equal(client.inputs["earlyRenewalHours"], ORIGIN_PULL_EARLY_RENEWAL_HOURS);
    assert.equal(ca.inputs["earlyRenewalHours"], undefined);
    assert.ok(Number(ca.inputs["validityPeriodHours"]) >= 5 * ORIGIN_PULL_CLIENT_VALIDITY_HOURS);
    assert.deepEqual(client.propertyDependencies["caCertPem"], [ca.urn]);
    // No deleteBeforeReplace anywhere on the way: Pulumi creates the new upload first and deletes the
    // old one in the deletes at the end of the update, after the wait for the new one.
    for (const r of [client, upload, wait]) assert.notEqual(r.options.deleteBeforeReplace, true, r.name);
    assert.deepEqual(upload.propertyDependencies["certificate"], [client.urn]);
    assert.ok(wait.dependencies.includes(upload.urn));
  });

  test("a renewed certificate is a new upload and a new wait; the CA, the setting and the proxy stay as they are", async () => {
    /** The inputs of every registration of one production run, by type and name. */
    const run = async (renewed: boolean) => {
      const seen = new Map<string, unknown>();
      await runProductionUnderMocks(false, {
        newResource: (args, answer) => {
          seen.set(`${args.type}::${args.name}`, args.inputs);
          if (renewed && args.type === CLIENT) {
            return { ...answer, id: `${answer.id ?? ""}-renewed`, state: { ...answer.state, certPem: "-----BEGIN CERTIFICATE-----\nrenewed\n-----END CERTIFICATE-----\n" } };
          }
          if (args.type === UPLOAD) {
            // Cloudflare gives the new upload a new id.
            const certificate = JSON.stringify(args.inputs["certificate"] ?? "");
            return { ...answer, id: `aop-${certificate.includes("renewed") ? "new" : "old"}` };
          }
          return answer;
        },
      });
      return seen;
    };
    const before = await run(false);
    const after = await run(true);
    assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort(), "the same resources are declared");
    const changed = [...before.keys()].filter((k) => !isDeepStrictEqual(before.get(k), after.get(k))).sort();
    const name = (k: string) => k.split("::")[1] ?? k;
    assert.deepEqual(changed.map(name), ["docstown-origin-pull-certificate", "docstown-origin-pull-certificate-active"], changed.join("\n"));
    const wait = after.get(`${WAIT}::docstown-origin-pull-certificate-active`) as { environment: Record<string, string>; triggers: string[] };
    assert.deepEqual(wait.triggers, ["aop-new"]);
    assert.equal(wait.environment["CERTIFICATE_ID"], "aop-new");
    // The proxy trusts the CA, not the leaf: its inputs (Caddyfile, CA file) do not move.
    const proxyBefore = before.get(`${PROXY}::docstown-proxy`);
    assert.ok(JSON.stringify(proxyBefore).includes(ORIGIN_PULL_CA_PATH), "the proxy requires the origin-pull CA");
    assert.ok(isDeepStrictEqual(proxyBefore, after.get(`${PROXY}::docstown-proxy`)));
  });
});

test("the edge always carries the origin-pull component; off, the proxy gets no CA to require", async () => {
  let edge: Edge | undefined;
  const off = productionSchema.shape.cloudflare.parse({ zoneId: ZONE, authenticatedOriginPulls: false });
  const result = await recordProgram(() => (edge = new Edge("edge", { domain: "docstown.org", publicIp: "203.0.113.7", cloudflare: off })));
  assert.equal(edge?.originPull.enabled, false);
  assert.equal(edge?.originPull.ready, undefined);
  assert.equal(byType(result, UPLOAD).length, 1);
  assert.equal(byType(result, CA).length, 1);
});
