// The app as production declares it: ordering, secrecy, mounts, health, limits, ports.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { RecordedResource, SynthResult } from "../../src/synth/recorder";
import { SECRET_ENV_NAMES } from "../../src/app/env-names";
import { digestOf } from "../../src/synth/mocks";
import { SECRET_KEYS } from "../../src/config/secrets";
import { byType, containerEnv, isSecretPath, one, synthStack } from "../harness";

const CONTAINER = "docker:index/container:Container";
const IMAGE = "docker:index/remoteImage:RemoteImage";

let production: Promise<SynthResult> | undefined;
const prod = () => (production ??= synthStack("production"));

const labels = (c: RecordedResource) => (c.inputs["labels"] as { label: string; value: string }[] | undefined) ?? [];
/** The role's container, not a one-shot step that borrows the role (docstown.step: the operators' keys). */
const container = (r: SynthResult, role: string): RecordedResource => {
  const found = byType(r, CONTAINER).filter((c) =>
    labels(c).some((l) => l.label === "docstown.role" && l.value === role) && !labels(c).some((l) => l.label === "docstown.step"),
  );
  assert.equal(found.length, 1, `one ${role} container`);
  return found[0] as RecordedResource;
};
const urnOf = (r: SynthResult, type: string, name: string) => one(r, type, name).urn;

/**
 * Is `path` a secret by itself? The wire format marks a whole top-level array secret when one
 * element is (`envs`), so a recorded path with recorded children counts only through them.
 */
function isOwnSecret(resource: RecordedResource, path: string): boolean {
  const paths = resource.secretPaths.filter((p) => !resource.secretPaths.some((q) => q.startsWith(`${p}[`) || q.startsWith(`${p}.`)));
  return paths.some((p) => p === path || path.startsWith(`${p}.`) || path.startsWith(`${p}[`) || p === "$");
}

/** Env names whose own `envs[i]` entry is a secret. */
function secretEnvNames(c: RecordedResource): Set<string> {
  const envs = (c.inputs["envs"] as string[] | undefined) ?? [];
  return new Set(envs.flatMap((e, i) => (isOwnSecret(c, `envs[${i}]`) ? [e.slice(0, e.indexOf("="))] : [])));
}

test("order: migrate after the image and the database; web and worker after migrate; the provider after readiness", async () => {
  const r = await prod();
  const migrate = container(r, "migrate");
  const image = urnOf(r, IMAGE, "docstown-image");
  assert.ok(migrate.options.dependsOn.includes(image), "migrate waits for the pulled image");
  assert.ok(migrate.options.dependsOn.includes(one(r, "docstown:database:ManagedDatabase").urn), "migrate waits for users and grants");
  for (const role of ["web", "worker"]) {
    const c = container(r, role);
    assert.ok(c.options.dependsOn.includes(migrate.urn), `${role} dependsOn migrate`);
    // The image web and worker run only exists once migrate's exit code was read (src/app/migration.ts).
    assert.ok(c.propertyDependencies["image"]?.includes(migrate.urn), `${role} image derives from migrate's exit code`);
  }
  const provider = one(r, "pulumi:providers:docker", "docstown-docker");
  assert.ok(provider.options.dependsOn.some((u) => u.endsWith("::docstown-ready")), "provider waits for the server readiness step");
  assert.equal(provider.inputs["host"], "ssh://deploy@" + String(one(r, "digitalocean:index/reservedIp:ReservedIp").inputs["ipAddress"] ?? (await prod()).outputs["publicIp"]));
  // The app's containers; the operators' keys step has its own provider to the same host (src/server/authorized-keys.ts).
  for (const c of byType(r, CONTAINER).filter((x) => x.parent === one(r, "docstown:app:RailsApp").urn)) {
    assert.equal(c.provider, provider.urn, `${c.name} runs on the SSH Docker host`);
  }
});

test("the Docker host's SSH key is pinned to the one the readiness step read", async () => {
  const r = await prod();
  const provider = one(r, "pulumi:providers:docker", "docstown-docker");
  const sshOpts = JSON.parse(String(provider.inputs["sshOpts"])) as string[];
  assert.ok(sshOpts.includes(`KnownHostsCommand=/bin/echo ${String(r.outputs["knownHostsLine"])}`));
  assert.ok(sshOpts.includes("StrictHostKeyChecking=yes"));
  assert.ok(isSecretPath(provider, "registryAuth"), "the registry password is a secret");
});

test("every secret env var of every app container is a Pulumi secret; SOLID_QUEUE_IN_PUMA is never set", async () => {
  const r = await prod();
  for (const role of ["web", "worker", "migrate"]) {
    const { env } = containerEnv(container(r, role));
    const secretNames = secretEnvNames(container(r, role));
    assert.ok(!secretNames.has("RAILS_ENV") && !secretNames.has("SENTRY_RELEASE"), "plain variables stay readable");
    for (const name of SECRET_ENV_NAMES) {
      assert.ok(name in env, `${role} has ${name}`);
      assert.ok(secretNames.has(name), `${role} ${name} is secret`);
    }
    assert.equal("SOLID_QUEUE_IN_PUMA" in env, false, `${role} has no SOLID_QUEUE_IN_PUMA`);
    for (const name of Object.keys(env)) {
      if (/KEY|TOKEN|SECRET|PASSWORD|DSN|DATABASE_URL/.test(name)) assert.ok(secretNames.has(name), `${role} ${name} is secret`);
    }
    assert.equal(env["RAILS_MASTER_KEY"], "placeholder:railsMasterKey");
    // Migrate connects directly; web and worker through the PgBouncer pool (src/database/pools.ts).
    const expected = role === "migrate"
      ? /^postgresql:\/\/docstown:.+@private-docstown-db-.+:25060\/docstown_production\?sslmode=verify-full&sslrootcert=\/etc\/docstown\/database-ca\.crt$/
      : /^postgresql:\/\/docstown:.+@private-docstown-db-.+:25061\/docstown_production-pool-[0-9a-f]{8}\?sslmode=verify-full&sslrootcert=\/etc\/docstown\/database-ca\.crt&prepared_statements=false&advisory_locks=false$/;
    assert.match(env["DATABASE_URL"] ?? "", expected);
  }
});

/** Walks inputs, yielding every string that sits at a path not recorded as secret. */
function* plainStrings(value: unknown, resource: RecordedResource, path = ""): Generator<[string, string]> {
  if (path !== "" && isOwnSecret(resource, path)) return;
  if (typeof value === "string") yield [path, value];
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* plainStrings(v, resource, `${path}[${i}]`);
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) yield* plainStrings(v, resource, path === "" ? k : `${path}.${k}`);
  }
}

test("no secret value appears in a plain input anywhere in the graph (env, uploads, commands, labels)", async () => {
  const r = await prod();
  const { env } = containerEnv(container(r, "web"));
  const secrets = [
    ...SECRET_KEYS.map((k) => `placeholder:${k}`),
    ...["DATABASE_URL", "CACHE_DATABASE_URL", "QUEUE_DATABASE_URL", "CABLE_DATABASE_URL", "SMTP_ADDRESS", "MAILER_FROM"].map((n) => env[n] ?? "∅"),
  ];
  const leaks: string[] = [];
  for (const resource of r.resources) {
    for (const [path, text] of plainStrings(resource.inputs, resource)) {
      for (const secret of secrets) if (text.includes(secret)) leaks.push(`${resource.name} ${path}`);
    }
  }
  assert.deepEqual(leaks, []);
});

test("SENTRY_ENVIRONMENT is the stack, SENTRY_RELEASE the digest that was resolved for app.image:tag", async () => {
  const r = await prod();
  const digest = `sha256:${digestOf("ghcr.io/docstown/docstown:latest")}`;
  for (const role of ["web", "worker", "migrate"]) {
    const { env } = containerEnv(container(r, role));
    assert.equal(env["SENTRY_ENVIRONMENT"], "production");
    assert.equal(env["SENTRY_RELEASE"], digest);
    assert.equal(env["SENTRY_TRACES_SAMPLE_RATE"], "0.1");
  }
  assert.equal(one(r, IMAGE, "docstown-image").inputs["name"], `ghcr.io/docstown/docstown@${digest}`);
  assert.equal(one(r, IMAGE, "docstown-image").inputs["keepLocally"], true, "a rollback needs no pull");
  assert.deepEqual(r.outputs["app"] && (r.outputs["app"] as Record<string, unknown>)["imageDigest"], digest);
});

test("containers run the pulled image by id, which the policy accepts as a digest pin", async () => {
  const r = await prod();
  const appImageId = `sha256:${digestOf(`ghcr.io/docstown/docstown@sha256:${digestOf("ghcr.io/docstown/docstown:latest")}-id`)}`;
  for (const role of ["web", "worker", "migrate"]) assert.equal(container(r, role).inputs["image"], appImageId);
  assert.match(String(container(r, "proxy").inputs["image"]), /^sha256:[0-9a-f]{64}$/);
  assert.match(String(one(r, IMAGE, "docstown-proxy-image").inputs["name"]), /^caddy@sha256:[0-9a-f]{64}$/);
});

test("mounts: the block volume's host path in web and worker only", async () => {
  const r = await prod();
  for (const role of ["web", "worker"]) {
    assert.deepEqual(container(r, role).inputs["volumes"], [{ hostPath: "/data/repos", containerPath: "/data/repos" }]);
    assert.equal(containerEnv(container(r, role)).env["REPOS_PATH"], "/data/repos");
  }
  for (const role of ["migrate", "proxy"]) assert.equal(container(r, role).inputs["volumes"], undefined, `${role} has no repos mount`);
});

test("web: Thruster + Puma as uid 1000, health-checked on Puma's /up, waited for, drained, no fixed name", async () => {
  const r = await prod();
  const web = container(r, "web");
  assert.deepEqual(web.inputs["command"], ["./bin/thrust", "./bin/rails", "server"]);
  assert.equal(web.inputs["user"], "1000", "the bare uid: a uid:gid user with uploads fails the create (moby #34142)");
  const hc = web.inputs["healthcheck"] as Record<string, unknown>;
  const probe = (hc["tests"] as string[]).join(" ");
  assert.match(probe, /curl -fsS .*-H 'Host: docstown.org'.*"http:\/\/\$\(hostname\):3000\/up"/);
  assert.equal(hc["startPeriod"], "3m0s", "a slow boot is not counted as failure (Go's spelling of 180 s, as the provider reads it back)");
  assert.equal(web.inputs["wait"], true);
  assert.equal(web.inputs["waitTimeout"], 180);
  assert.equal(web.inputs["stopTimeout"], 30);
  assert.equal(web.inputs["destroyGraceSeconds"], 30);
  assert.equal(web.inputs["restart"], "unless-stopped");
  assert.equal(web.inputs["name"], undefined, "generated name: the replacement never collides with the old container");
  assert.equal(web.options.deleteBeforeReplace, undefined, "create the new web before deleting the old one");
  assert.equal(containerEnv(web).env["TARGET_PORT"], "3000", "Puma listens where the proxy routes");
  const networks = web.inputs["networksAdvanced"] as { name: string; aliases?: string[] }[];
  assert.deepEqual(networks.map((n) => n.aliases), [["web"]]);
});

test("worker: bin/jobs with JOB_CONCURRENCY, and as long to stop as its jobs may need", async () => {
  const r = await prod();
  const worker = container(r, "worker");
  assert.deepEqual(worker.inputs["command"], ["./bin/jobs"]);
  assert.equal(containerEnv(worker).env["JOB_CONCURRENCY"], "2");
  assert.equal(worker.inputs["stopTimeout"], 120);
  assert.equal(worker.inputs["destroyGraceSeconds"], 120);
  assert.equal(worker.inputs["healthcheck"], undefined);
});

test("migrate: one-shot db:prepare, waited for, never restarted, gated on its exit code", async () => {
  const r = await prod();
  const migrate = container(r, "migrate");
  assert.deepEqual(migrate.inputs["command"], ["./bin/rails", "db:prepare"]);
  assert.equal(migrate.inputs["attach"], true);
  assert.equal(migrate.inputs["mustRun"], false, "mustRun with attach always fails: the provider deletes the stopped container");
  assert.equal(migrate.inputs["restart"], "no");
  assert.equal(migrate.inputs["rm"], undefined, "kept, so its exit code and logs can be read");
  assert.deepEqual(migrate.options.customTimeouts, { create: "30m" });
});

test("limits and hardening on every container: memory, nproc, rotated logs, no new privileges, no capabilities but the proxy's one", async () => {
  const r = await prod();
  const memory: Record<string, number> = { web: 1536, worker: 1536, migrate: 1536, proxy: 256 };
  for (const [role, mb] of Object.entries(memory)) {
    const c = container(r, role);
    assert.equal(c.inputs["memory"], mb, `${role} memory`);
    assert.deepEqual(c.inputs["ulimits"], [{ name: "nproc", soft: 512, hard: 512 }], `${role} nproc`);
    // The droplet's journal, capped by the host, so a replaced release's lines stay (src/app/logs.ts; read back on the real engine by test/ops/ops.engine.test.ts).
    assert.equal(c.inputs["logDriver"], "journald");
    assert.deepEqual(c.inputs["logOpts"], { tag: "docstown-production", labels: "docstown.role,docstown.release" });
    assert.deepEqual(c.inputs["securityOpts"], ["no-new-privileges:true"]);
    // The proxy keeps only what the official caddy binary's file capability needs to be executed.
    assert.deepEqual(c.inputs["capabilities"], role === "proxy" ? { drops: ["ALL"], adds: ["CAP_NET_BIND_SERVICE"] } : { drops: ["ALL"] }, `${role} capabilities`);
    assert.equal(c.inputs["privileged"], undefined);
    assert.notEqual(c.inputs["user"], undefined, `${role} sets a user`);
  }
  // What npm run ops reads to find the app's lines in the droplet's journal.
  assert.deepEqual(r.outputs["logs"], { driver: "journald", tag: "docstown-production" });
});

test("published ports: only the proxy, 80 and 443 onto Caddy's unprivileged ports", async () => {
  const r = await prod();
  for (const c of byType(r, CONTAINER)) {
    if (c.name === "docstown-proxy") continue;
    assert.equal(c.inputs["ports"], undefined, `${c.name} publishes nothing`);
  }
  const proxy = container(r, "proxy");
  assert.deepEqual(proxy.inputs["ports"], [{ internal: 8080, external: 80 }, { internal: 8443, external: 443 }]);
  assert.equal(proxy.options.deleteBeforeReplace, true, "a proxy change frees 80/443 before the new one binds them");
});

test("proxy: the origin certificate, its key and the origin-pull CA are uploaded, the key as a secret readable only by Caddy", async () => {
  const r = await prod();
  const proxy = container(r, "proxy");
  const uploads = proxy.inputs["uploads"] as { file: string; content: string; permissions: string; owner?: string }[];
  assert.deepEqual(uploads.map((u) => u.file), ["/etc/caddy/Caddyfile", "/etc/caddy/tls/origin.crt", "/etc/caddy/tls/origin.key", "/etc/caddy/tls/origin-pull-ca.crt"]);
  assert.ok(!isOwnSecret(proxy, "uploads[3].content"), "the origin-pull CA is public");
  const cert = one(r, "cloudflare:index/originCaCertificate:OriginCaCertificate");
  assert.ok(uploads[1]?.content.includes("BEGIN CERTIFICATE") && cert !== undefined);
  assert.match(uploads[2]?.content ?? "", /BEGIN (EC |RSA )?PRIVATE KEY/);
  assert.ok(isOwnSecret(proxy, "uploads[2].content"), "the key is a secret");
  assert.equal(uploads[2]?.permissions, "0400");
  assert.equal(uploads[2]?.owner, "65534");
  assert.equal((uploads[2] as { group?: string } | undefined)?.group, "65534");
  assert.equal(proxy.inputs["user"], "65534", "the bare uid; nobody's passwd line gives it group 65534");
  assert.deepEqual(proxy.inputs["tmpfs"], {
    "/data": "rw,noexec,nosuid,size=16m,uid=65534,gid=65534",
    "/config": "rw,noexec,nosuid,size=4m,uid=65534,gid=65534",
  }, "production keeps no Caddy state: its certificate comes from the uploads");
  assert.equal(proxy.inputs["mounts"], undefined);
  const caddyfile = uploads[0]?.content ?? "";
  assert.ok(caddyfile.includes("https://docstown.org:8443 {") && caddyfile.includes("dynamic a web 3000"));
  assert.ok(caddyfile.includes("header_up X-Forwarded-For {http.request.header.CF-Connecting-IP}"));
  const networks = proxy.inputs["networksAdvanced"] as { name: string }[];
  assert.equal(networks.length, 1, "the proxy sees the app network only");
});

test("container settings the provider cannot update in place replace the container; swap equals memory", async () => {
  const r = await prod();
  for (const c of byType(r, CONTAINER)) {
    for (const field of ["healthcheck", "tmpfs", "init"]) assert.ok(c.options.replaceOnChanges?.includes(field), `${c.name} replaces on ${field}`);
    assert.equal(c.inputs["memorySwap"], c.inputs["memory"], `${c.name}: no swap beyond its memory limit`);
  }
});
