// The local stack: the same app on the local Docker engine, no cloud account.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { RecordedResource, SynthResult } from "../../src/synth/recorder";
import { DEFAULT_LOCAL_DB_PASSWORD } from "../../src/local/postgres";
import { byType, containerEnv, one, synthStack } from "../harness";

const CONTAINER = "docker:index/container:Container";

let local: Promise<SynthResult> | undefined;
const loc = () => (local ??= synthStack("local"));

const role = (r: SynthResult, name: string, step?: string): RecordedResource => {
  const found = byType(r, CONTAINER).filter((c) => {
    const labels = (c.inputs["labels"] as { label: string; value: string }[] | undefined) ?? [];
    const hasRole = labels.some((l) => l.label === "docstown.role" && l.value === name);
    const hasStep = labels.some((l) => l.label === "docstown.step");
    return hasRole && (step === undefined ? !hasStep : labels.some((l) => l.label === "docstown.step" && l.value === step));
  });
  assert.equal(found.length, 1, `one ${name}${step ? `/${step}` : ""} container`);
  return found[0] as RecordedResource;
};
const networkNames = (c: RecordedResource) => (c.inputs["networksAdvanced"] as { name: string }[]).map((n) => n.name).sort();

test("no DigitalOcean, Cloudflare or Sentry resources; everything on the local Docker provider", async () => {
  const r = await loc();
  const foreign = r.resources.filter((x) => /^(digitalocean|cloudflare|sentry|postgresql|command):/.test(x.type));
  assert.deepEqual(foreign.map((x) => x.type), []);
  const provider = one(r, "pulumi:providers:docker", "docstown-docker");
  assert.equal(provider.inputs["host"], undefined, "the default local socket (or DOCKER_HOST)");
  for (const c of byType(r, CONTAINER)) assert.equal(c.provider, provider.urn);
});

test("PostgreSQL: pinned image, data in a named volume, pg_isready, internal network, no published port", async () => {
  const r = await loc();
  const pg = role(r, "postgres");
  assert.match(String(pg.inputs["image"]), /^sha256:[0-9a-f]{64}$/);
  assert.match(String(one(r, "docker:index/remoteImage:RemoteImage", "docstown-db-image").inputs["name"]), /^postgres@sha256:[0-9a-f]{64}$/);
  const dataVolume = one(r, "docker:index/volume:Volume", "docstown-db-data");
  assert.deepEqual(pg.inputs["volumes"], [{ volumeName: dataVolume.id, containerPath: "/var/lib/postgresql/data" }]);
  assert.deepEqual((pg.inputs["healthcheck"] as { tests: string[] }).tests.slice(0, 2), ["CMD", "pg_isready"]);
  assert.equal(pg.inputs["wait"], true, "migrate starts only once PostgreSQL answers");
  assert.equal(pg.inputs["ports"], undefined);
  const network = one(r, "docker:index/network:Network", "docstown-db-network");
  assert.equal(network.inputs["internal"], true);
  assert.deepEqual((pg.inputs["networksAdvanced"] as { aliases: string[] }[])[0]?.aliases, ["postgres"]);
  const { env, secretNames } = containerEnv(pg);
  assert.equal(env["POSTGRES_DB"], "docstown_production");
  assert.equal(env["POSTGRES_PASSWORD"], DEFAULT_LOCAL_DB_PASSWORD);
  assert.ok(secretNames.has("POSTGRES_PASSWORD"));
  assert.equal(pg.inputs["user"], "postgres");
});

test("the app's backend containers reach PostgreSQL; the proxy does not", async () => {
  const r = await loc();
  const dbNetwork = String(one(r, "docker:index/network:Network", "docstown-db-network").inputs["name"] ?? "");
  const pgNetworkName = (role(r, "postgres").inputs["networksAdvanced"] as { name: string }[])[0]?.name ?? dbNetwork;
  for (const name of ["web", "worker", "migrate"]) assert.ok(networkNames(role(r, name)).includes(pgNetworkName), `${name} joins the database network`);
  assert.ok(!networkNames(role(r, "proxy")).includes(pgNetworkName), "the proxy stays off the database network");
  const migrate = role(r, "migrate");
  assert.ok(migrate.options.dependsOn.includes(role(r, "postgres").urn), "migrate waits for a healthy PostgreSQL");
  const { env } = containerEnv(migrate);
  assert.equal(env["DATABASE_URL"], `postgresql://docstown:${DEFAULT_LOCAL_DB_PASSWORD}@postgres:5432/docstown_production`);
  assert.equal(env["QUEUE_DATABASE_URL"], `postgresql://docstown:${DEFAULT_LOCAL_DB_PASSWORD}@postgres:5432/docstown_production_queue`);
});

test("an optional localPostgresPassword secret replaces the local default everywhere", async () => {
  const r = await synthStack("local", { "docstown:localPostgresPassword": "placeholder:localPostgresPassword" });
  assert.equal(containerEnv(role(r, "postgres")).env["POSTGRES_PASSWORD"], "placeholder:localPostgresPassword");
  assert.match(containerEnv(role(r, "web")).env["DATABASE_URL"] ?? "", /^postgresql:\/\/docstown:placeholder%3AlocalPostgresPassword@postgres/);
});

test("the clone lives in the docstown-repos volume, made writable for uid 1000 before web and worker start", async () => {
  const r = await loc();
  const repos = one(r, "docker:index/volume:Volume", "docstown-repos");
  assert.equal(repos.inputs["name"], "docstown-repos");
  assert.equal(repos.options.retainOnDelete, true);
  for (const name of ["web", "worker"]) {
    assert.deepEqual(role(r, name).inputs["volumes"], [{ volumeName: "docstown-repos", containerPath: "/data/repos" }]);
  }
  const owner = role(r, "migrate", "repos-owner");
  assert.deepEqual(owner.inputs["command"], ["chown", "1000:1000", "/data/repos"]);
  assert.deepEqual(owner.inputs["capabilities"], { drops: ["ALL"], adds: ["CHOWN"] });
  assert.equal(owner.inputs["networkMode"], "none");
  for (const name of ["web", "worker"]) {
    assert.ok(role(r, name).options.dependsOn.includes(owner.urn), `${name} waits for the chown`);
    assert.ok(role(r, name).propertyDependencies["image"]?.includes(owner.urn), `${name} starts only if the chown exited 0`);
  }
});

test("TLS: a self-signed certificate for localhost; the proxy publishes the configured local ports", async () => {
  const r = await loc();
  const cert = one(r, "tls:index/selfSignedCert:SelfSignedCert");
  assert.deepEqual(cert.inputs["dnsNames"], ["localhost"]);
  assert.deepEqual(cert.inputs["allowedUses"], ["digital_signature", "key_encipherment", "server_auth"]);
  const proxy = role(r, "proxy");
  assert.deepEqual(proxy.inputs["ports"], [{ internal: 8080, external: 8080 }, { internal: 8443, external: 8443 }]);
  const uploads = proxy.inputs["uploads"] as { file: string; content: string }[];
  assert.ok(uploads[0]?.content.includes("https://localhost:8443 {"));
  assert.ok(uploads[0]?.content.includes("redir https://{host}:8443{uri} 308"));
  assert.ok(proxy.secretPaths.some((p) => p === "uploads[2].content"), "the generated key is a secret");
  for (const c of byType(r, CONTAINER)) if (c.urn !== proxy.urn) assert.equal(c.inputs["ports"], undefined, `${c.name} publishes nothing`);
  assert.equal(r.outputs["url"], "https://localhost:8443");
  assert.equal(containerEnv(role(r, "web")).env["APP_HOST"], "localhost:8443");
});

test("a locally built image (local.imageSource daemon) is run by its image id, without a registry lookup", async () => {
  const r = await synthStack("local", {
    "docstown:app": JSON.stringify({ image: "docstown", tag: "dev" }),
    "docstown:local": JSON.stringify({ imageSource: "daemon" }),
  });
  assert.equal(one(r, "docker:index/remoteImage:RemoteImage", "docstown-image").inputs["name"], "docstown:dev");
  const web = role(r, "web");
  assert.match(String(web.inputs["image"]), /^sha256:[0-9a-f]{64}$/);
  assert.equal(containerEnv(web).env["SENTRY_RELEASE"], web.inputs["image"]);
  assert.equal(containerEnv(web).env["SENTRY_ENVIRONMENT"], "local");
});

test("local.imageSource daemon also runs the PostgreSQL image from the engine by name (npm run demo:images), no registry lookup", async () => {
  const r = await synthStack("local", {
    "docstown:app": JSON.stringify({ image: "docstown-demo", tag: "1" }),
    "docstown:local": JSON.stringify({ imageSource: "daemon", postgresImage: "docstown-postgres:15" }),
  });
  assert.equal(one(r, "docker:index/remoteImage:RemoteImage", "docstown-db-image").inputs["name"], "docstown-postgres:15");
  assert.equal(one(r, "docker:index/remoteImage:RemoteImage", "docstown-image").inputs["name"], "docstown-demo:1");
  const pg = role(r, "postgres");
  assert.match(String(pg.inputs["image"]), /^sha256:[0-9a-f]{64}$/, "run by the image id the engine reports");
  assert.deepEqual(pg.inputs["volumes"], [{ volumeName: one(r, "docker:index/volume:Volume", "docstown-db-data").id, containerPath: "/var/lib/postgresql/data" }]);
});

test("local.imageSource daemon runs the proxy image from the engine by name too", async () => {
  const r = await synthStack("local", {
    "docstown:app": JSON.stringify({ image: "docstown-demo", tag: "1", proxyImage: "docstown-caddy:2.11.2" }),
    "docstown:local": JSON.stringify({ imageSource: "daemon", postgresImage: "docstown-postgres:15" }),
  });
  assert.equal(one(r, "docker:index/remoteImage:RemoteImage", "docstown-proxy-image").inputs["name"], "docstown-caddy:2.11.2");
});
