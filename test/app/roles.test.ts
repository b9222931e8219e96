// One plain function per role declares its container (src/app/roles); RailsApp wires them. These
// pin what a role adds on its own: the database CA upload, exactly when a CA is given, and the
// proxy's single capability.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as docker from "@pulumi/docker";
import { PROXY_CAPABILITIES, hardening, readBackCapability } from "../../src/app/containers";
import { RailsApp } from "../../src/app/rails-app";
import { migrateContainerArgs } from "../../src/app/roles/migrate";
import { ownerStepContainerArgs } from "../../src/app/roles/owner-step";
import { proxyContainerArgs } from "../../src/app/roles/proxy";
import { webContainerArgs } from "../../src/app/roles/web";
import { workerContainerArgs } from "../../src/app/roles/worker";
import { productionSchema } from "../../src/config/schema";
import { DATABASE_CA_PATH, DATABASE_URL_NAMES } from "../../src/database/rails";
import type { RecordedResource } from "../../src/synth/recorder";
import { byType, recordProgram } from "../harness";

const CA = "-----BEGIN CERTIFICATE-----\nMIIBdatabaseca\n-----END CERTIFICATE-----\n";
const SETTINGS = productionSchema.shape.app.parse({ image: "ghcr.io/docstown/docstown" });
const common = { image: "sha256:" + "e".repeat(64), envs: ["RAILS_ENV=production"], networks: [{ name: "app" }], release: {}, pidsLimit: 512 };
const clone = { repos: { hostPath: "/data/repos" }, mountPath: "/data/repos" };

type Uploads = { file: string; content: unknown; permissions?: string }[] | undefined;
const caUploads = (uploads: unknown) => ((uploads as Uploads) ?? []).filter((u) => u.file === DATABASE_CA_PATH);

function roleArgs(databaseCaPem?: string): Record<string, docker.ContainerArgs> {
  const ca = databaseCaPem !== undefined ? { databaseCaPem } : {};
  return {
    migrate: migrateContainerArgs({ ...common, ...ca, memoryMb: 1536 }),
    web: webContainerArgs({ ...common, ...ca, ...clone, memoryMb: 1536, host: "docstown.org", bootSeconds: 180, stopSeconds: 30 }),
    worker: workerContainerArgs({ ...common, ...ca, ...clone, memoryMb: 1536, stopSeconds: 120 }),
  };
}

/** RailsApp under the mock runtime, with or without a database CA. */
async function appContainers(databaseCaPem?: string): Promise<Record<string, RecordedResource>> {
  const r = await recordProgram(() => {
    const provider = new docker.Provider("docker", { host: "unix:///var/run/docker.sock" });
    const urls = Object.fromEntries(DATABASE_URL_NAMES.map((n) => [n, `postgresql://u:p@db:5432/${n.toLowerCase()}`])) as Record<(typeof DATABASE_URL_NAMES)[number], string>;
    new RailsApp("docstown", {
      provider, settings: SETTINGS, databaseUrls: urls, environment: { plain: { RAILS_ENV: "production" }, secret: {} },
      ...clone, tls: { certificatePem: "cert", privateKeyPem: "key" },
      proxy: { host: "docstown.org", aliases: [], httpPort: 80, httpsPort: 443 },
      ...(databaseCaPem !== undefined ? { databaseCaPem } : {}),
    });
  });
  return Object.fromEntries(byType(r, "docker:index/container:Container").map((c) => [c.name.replace(/^docstown-/, ""), c]));
}

describe("the database CA upload", () => {
  test("role functions: migrate, web and worker upload it read-only to DATABASE_CA_PATH when given, and upload nothing without it", () => {
    for (const [role, args] of Object.entries(roleArgs(CA))) {
      assert.deepEqual(caUploads(args.uploads), [{ file: DATABASE_CA_PATH, content: CA, permissions: "0444" }], role);
    }
    for (const [role, args] of Object.entries(roleArgs())) assert.equal(args.uploads, undefined, `${role} uploads nothing`);
  });

  test("RailsApp: exactly migrate, web and worker carry it when databaseCaPem is set; no container does when unset", async () => {
    const withCa = await appContainers(CA);
    assert.deepEqual(Object.keys(withCa).sort(), ["migrate", "proxy", "web", "worker"]);
    for (const role of ["migrate", "web", "worker"]) {
      assert.deepEqual(caUploads(withCa[role]?.inputs["uploads"]), [{ file: DATABASE_CA_PATH, content: CA, permissions: "0444" }], role);
    }
    assert.deepEqual(caUploads(withCa["proxy"]?.inputs["uploads"]), [], "the proxy never talks to the database");
    const without = await appContainers();
    for (const [role, c] of Object.entries(without)) assert.deepEqual(caUploads(c.inputs["uploads"]), [], `${role} without a CA`);
    for (const role of ["migrate", "web", "worker"]) assert.equal(without[role]?.inputs["uploads"], undefined, `${role} has no uploads at all`);
  });
});

describe("the proxy's capabilities", () => {
  test("every capability dropped but CAP_NET_BIND_SERVICE, with no-new-privileges kept", () => {
    const args = proxyContainerArgs({
      image: "sha256:" + "f".repeat(64), proxy: { host: "docstown.org", aliases: [], httpPort: 80, httpsPort: 443 },
      tls: { certificatePem: "cert", privateKeyPem: "key" }, network: "app", memoryMb: 256, pidsLimit: 512, extraLabels: {},
    });
    assert.deepEqual(PROXY_CAPABILITIES, ["CAP_NET_BIND_SERVICE"]);
    assert.deepEqual(args.capabilities, { drops: ["ALL"], adds: ["CAP_NET_BIND_SERVICE"] });
    assert.deepEqual(args.securityOpts, ["no-new-privileges:true"]);
  });
});

describe("capability names as the daemon reads them back", () => {
  test("CAP_ and upper case, whatever the spelling; ALL as it is", () => {
    assert.equal(readBackCapability("chown"), "CAP_CHOWN");
    assert.equal(readBackCapability("NET_BIND_SERVICE"), "CAP_NET_BIND_SERVICE");
    assert.equal(readBackCapability("cap_net_raw"), "CAP_NET_RAW");
    assert.equal(readBackCapability("CAP_CHOWN"), "CAP_CHOWN");
    assert.equal(readBackCapability(" all "), "ALL");
  });

  test("hardening writes its adds in that form and drops ALL", () => {
    assert.deepEqual(hardening(["chown"]).capabilities, { drops: ["ALL"], adds: ["CAP_CHOWN"] });
    assert.deepEqual(hardening().capabilities, { drops: ["ALL"] });
  });
});

describe("the proxy with Caddy's local CA (the local stack)", () => {
  const args = proxyContainerArgs({
    image: "sha256:" + "f".repeat(64), proxy: { host: "localhost", aliases: [], httpPort: 8080, httpsPort: 8443 },
    tls: { internalCa: { volumeName: "docstown-proxy-data" } }, network: "app", memoryMb: 256, pidsLimit: 512, extraLabels: {},
  });

  test("no certificate or key uploaded, only the Caddyfile, which says tls internal", () => {
    const uploads = args.uploads as { file: string; content: string; owner?: string }[];
    assert.deepEqual(uploads.map((u) => u.file), ["/etc/caddy/Caddyfile"]);
    assert.ok(uploads[0]?.content.includes("\ttls internal\n"));
    assert.equal(uploads[0]?.owner, undefined, "no owner: the daemon resolves nothing for this upload");
  });

  test("Caddy's data directory is the volume, at a path no image has (no copy-up, no volumeOptions); only /config stays a tmpfs", () => {
    assert.deepEqual(args.volumes, [{ volumeName: "docstown-proxy-data", containerPath: "/var/lib/docstown-caddy" }]);
    assert.deepEqual(args.envs, ["XDG_DATA_HOME=/var/lib/docstown-caddy"]);
    assert.equal(args.mounts, undefined, "no mounts: kreuzwerker refuses volumeOptions on daemons before API 1.45");
    assert.deepEqual(args.tmpfs, { "/config": "rw,noexec,nosuid,size=4m,uid=65534,gid=65534" });
    assert.equal(args.user, "65534");
  });
});

describe("the owner steps", () => {
  test("root with CAP_CHOWN alone, no network, read-only, chown of the mount point only, labelled with its step", () => {
    const args = ownerStepContainerArgs({
      step: "proxy-data-owner", image: "sha256:" + "e".repeat(64), owner: "65534:65534", path: "/var/lib/docstown-caddy",
      mount: { volumes: [{ volumeName: "docstown-proxy-data", containerPath: "/var/lib/docstown-caddy" }] }, extraLabels: {},
    });
    assert.deepEqual(args.command, ["chown", "65534:65534", "/var/lib/docstown-caddy"]);
    assert.equal(args.user, "0:0");
    assert.deepEqual(args.capabilities, { drops: ["ALL"], adds: ["CAP_CHOWN"] });
    assert.equal(args.networkMode, "none");
    assert.equal(args.readOnly, true);
    assert.deepEqual(args.securityOpts, ["no-new-privileges:true"]);
    assert.deepEqual(args.labels, [{ label: "docstown.role", value: "migrate" }, { label: "docstown.step", value: "proxy-data-owner" }]);
    assert.equal(args.mounts, undefined);
  });
});
