// The local stack: the same app on the local Docker engine, no cloud account.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { RecordedResource, SynthResult } from "../../src/synth/recorder";
import { DEFAULT_LOCAL_DB_PASSWORD } from "../../src/local/postgres";
import { readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { byType, containerEnv, one, synthStack } from "../harness";

/** The provider SDKs (`@pulumi/*` but pulumi and policy) imported by the modules `entry` reaches. */
function providerPackages(entry: string): string[] {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    for (const [, spec] of code.matchAll(/\b(?:from|import|require\()\s*\(?["']([^"']+)["']/g)) {
      if (spec === undefined) continue;
      if (spec.startsWith(".")) {
        const base = resolve(dirname(file), spec);
        const found = [`${base}.ts`, resolve(base, "index.ts")].find((f) => statSync(f, { throwIfNoEntry: false })?.isFile());
        if (found !== undefined) visit(found);
      } else if (/^@pulumi\/(?!pulumi$|policy$)/.test(spec)) {
        packages.add(spec.split("/").slice(0, 2).join("/"));
      }
    }
  };
  visit(entry);
  return [...packages].sort();
}

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
  assert.deepEqual(owner.inputs["capabilities"], { drops: ["ALL"], adds: ["CAP_CHOWN"] });
  assert.equal(owner.inputs["networkMode"], "none");
  for (const name of ["web", "worker"]) {
    assert.ok(role(r, name).options.dependsOn.includes(owner.urn), `${name} waits for the chown`);
    assert.ok(role(r, name).propertyDependencies["image"]?.includes(owner.urn), `${name} starts only if the chown exited 0`);
  }
});

test("TLS from Caddy's local CA: no tls provider resource, no certificate in the state; the proxy publishes the configured local ports", async () => {
  const r = await loc();
  assert.deepEqual(r.resources.filter((x) => /^(tls:|pulumi:providers:tls)/.test(x.type)).map((x) => x.type), [], "no tls plugin needed");
  const providers = r.resources.filter((x) => x.type.startsWith("pulumi:providers:")).map((x) => x.type);
  assert.deepEqual([...new Set(providers)], ["pulumi:providers:docker"]);
  const proxy = role(r, "proxy");
  assert.deepEqual(proxy.inputs["ports"], [{ internal: 8080, external: 8080 }, { internal: 8443, external: 8443 }]);
  const uploads = proxy.inputs["uploads"] as { file: string; content: string }[];
  assert.deepEqual(uploads.map((u) => u.file), ["/etc/caddy/Caddyfile"], "no certificate or key to upload");
  assert.ok(uploads[0]?.content.includes("https://localhost:8443 {\n\ttls internal\n"));
  assert.ok(uploads[0]?.content.includes("redir https://{host}:8443{uri} 308"));
  assert.deepEqual(proxy.secretPaths, [], "nothing secret in the proxy's inputs");
  for (const c of byType(r, CONTAINER)) if (c.urn !== proxy.urn) assert.equal(c.inputs["ports"], undefined, `${c.name} publishes nothing`);
  assert.equal(r.outputs["url"], "https://localhost:8443");
  assert.equal(containerEnv(role(r, "web")).env["APP_HOST"], "localhost:8443");
});

test("Caddy's data (its CA) lives in a fixed-name volume that destroy keeps, handed to 65534 before the proxy starts", async () => {
  const r = await loc();
  const data = one(r, "docker:index/volume:Volume", "docstown-proxy-data");
  assert.equal(data.inputs["name"], "docstown-proxy-data", "a fixed name: the next up after a destroy finds the same CA");
  assert.equal(data.options.retainOnDelete, true);
  assert.deepEqual(data.inputs["labels"], [{ label: "docstown.volume", value: "proxy-data" }]);
  const mount = [{ volumeName: "docstown-proxy-data", containerPath: "/var/lib/docstown-caddy" }];
  const proxy = role(r, "proxy");
  assert.deepEqual(proxy.inputs["volumes"], mount);
  assert.deepEqual(proxy.inputs["envs"], ["XDG_DATA_HOME=/var/lib/docstown-caddy"]);
  assert.deepEqual(proxy.inputs["tmpfs"], { "/config": "rw,noexec,nosuid,size=4m,uid=65534,gid=65534" }, "/data is no tmpfs: a restart keeps the CA");
  assert.equal(proxy.inputs["user"], "65534");
  const owner = role(r, "migrate", "proxy-data-owner");
  assert.deepEqual(owner.inputs["command"], ["chown", "65534:65534", "/var/lib/docstown-caddy"]);
  assert.deepEqual(owner.inputs["volumes"], mount, "mounted as the proxy mounts it, where no image has a directory to copy in");
  assert.deepEqual(owner.inputs["capabilities"], { drops: ["ALL"], adds: ["CAP_CHOWN"] });
  assert.equal(owner.inputs["user"], "0:0");
  assert.equal(owner.inputs["networkMode"], "none");
  assert.equal(owner.inputs["readOnly"], true);
  assert.ok(proxy.options.dependsOn.includes(owner.urn), "the proxy starts after the chown");
  assert.ok(owner.propertyDependencies["volumes"]?.includes(data.urn), "the step runs on the declared volume");
  assert.equal(proxy.propertyDependencies["image"]?.includes(owner.urn) ?? false, false, "the proxy's image is not gated on the step, so a new app release leaves it alone");
});

test("local.proxyDataVolumeName names the CA's volume (one per local stack on an engine)", async () => {
  const r = await synthStack("local", { "docstown:local": JSON.stringify({ proxyDataVolumeName: "docstown-test-ca" }) });
  assert.equal(one(r, "docker:index/volume:Volume", "docstown-proxy-data").inputs["name"], "docstown-test-ca");
  assert.equal((role(r, "proxy").inputs["volumes"] as { volumeName: string }[])[0]?.volumeName, "docstown-test-ca");
  assert.equal(r.outputs["caVolume"], "docstown-test-ca");
});

test("outputs: where the CA's root certificate is, for `docker cp <proxyContainer>:<caPath>`", async () => {
  const r = await loc();
  assert.equal(r.outputs["caPath"], "/var/lib/docstown-caddy/caddy/pki/authorities/local/root.crt");
  assert.equal(r.outputs["caVolume"], "docstown-proxy-data");
  assert.match(String(r.outputs["proxyContainer"]), /^docstown-proxy-[0-9a-f]+$/, "the proxy container's generated name");
});

test("the local stack's modules reach no provider SDK but docker (no tls plugin to install)", () => {
  const reached = providerPackages(resolve(__dirname, "../../stacks/local.ts"));
  assert.deepEqual(reached, ["@pulumi/docker"]);
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
