import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { before, describe, test } from "node:test";
import { SECRET_KEYS } from "../../src/config/secrets";
import { validateConfig } from "../../src/config/validate";
import { appGrants, type GrantSpec } from "../../src/database/grants";
import { caFilePath } from "../../src/database/ca-file";
import { APP_USER, DATABASE_CA_PATH, DATABASE_NAMES, DATABASE_URL_NAMES, RAILS_DATABASES } from "../../src/database/rails";
import type { RecordedResource, SynthResult } from "../../src/synth/recorder";
import { readStackFile } from "../../src/synth/stack-file";
import { PROJECT_DIR, byType, containerEnv, isSecretPath, one, synthStack } from "../harness";

const CLUSTER = "digitalocean:index/databaseCluster:DatabaseCluster";
const FIREWALL = "digitalocean:index/databaseFirewall:DatabaseFirewall";
const DB = "digitalocean:index/databaseDb:DatabaseDb";
const USER = "digitalocean:index/databaseUser:DatabaseUser";
const GRANT = "postgresql:index/grant:Grant";
const PG_PROVIDER = "pulumi:providers:postgresql";
const VPC = "digitalocean:index/vpc:Vpc";
const DROPLET = "digitalocean:index/droplet:Droplet";

const committed = readStackFile(resolve(PROJECT_DIR, "Pulumi.production.yaml"), true).config;
const committedKey = (key: string) => JSON.parse(committed[`docstown:${key}`] ?? "{}") as Record<string, unknown>;
const withDatabase = (database: Record<string, unknown>) => ({ "docstown:database": JSON.stringify({ ...committedKey("database"), ...database }) });
const withDatabaseCidrs = (databaseCidrs: string[]) => ({ "docstown:operators": JSON.stringify({ ...committedKey("operators"), databaseCidrs }) });

/** The stack output `database.urls` as Rails would read them. */
function urlsOf(result: SynthResult, which: "urls" | "migrateUrls" = "urls"): Record<string, URL> {
  const database = result.outputs["database"] as Record<typeof which, Record<string, string>>;
  return Object.fromEntries(Object.entries(database[which]).map(([k, v]) => [k, new URL(v)]));
}

/** Every string in the graph a reader of the state or the preview sees in clear, with its place. */
function plainStrings(result: SynthResult): { where: string; value: string }[] {
  const found: { where: string; value: string }[] = [];
  const walk = (r: RecordedResource, value: unknown, path: string) => {
    if (path !== "" && isSecretPath(r, path)) return;
    if (typeof value === "string") found.push({ where: `${r.name}.${path}`, value });
    else if (Array.isArray(value)) value.forEach((v, i) => walk(r, v, `${path}[${i}]`));
    else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(r, v, path === "" ? k : `${path}.${k}`);
    }
  };
  for (const r of result.resources) walk(r, r.inputs, "");
  const outputs = (value: unknown, path: string) => {
    if (result.outputSecretPaths.some((p) => path === p || path.startsWith(`${p}.`))) return;
    if (typeof value === "string") found.push({ where: `outputs.${path}`, value });
    else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) outputs(v, path === "" ? k : `${path}.${k}`);
    }
  };
  outputs(result.outputs, "");
  return found;
}

const grantShape = (g: RecordedResource): GrantSpec => {
  const { role, database, objectType, schema, privileges } = g.inputs as Record<string, unknown>;
  const spec = { role, database, objectType, ...(schema === undefined ? {} : { schema }), privileges } as GrantSpec;
  return spec;
};
const byKey = (a: GrantSpec, b: GrantSpec) => JSON.stringify(a).localeCompare(JSON.stringify(b));

describe("managed PostgreSQL in the production stack (committed config)", () => {
  let result: SynthResult;
  before(async () => {
    result = await synthStack("production", withDatabaseCidrs(["203.0.113.10/32", "198.51.100.0/24"]));
  });

  test("one pg cluster, version, size and standby count from config, in the app's region and VPC", () => {
    const cluster = one(result, CLUSTER);
    assert.deepEqual(
      { engine: cluster.inputs["engine"], version: cluster.inputs["version"], size: cluster.inputs["size"], nodeCount: cluster.inputs["nodeCount"], region: cluster.inputs["region"] },
      { engine: "pg", version: "17", size: "db-s-1vcpu-1gb", nodeCount: 1, region: "fra1" },
    );
    assert.equal(cluster.inputs["name"], "docstown-db");
    assert.deepEqual(cluster.inputs["maintenanceWindows"], [{ day: "sunday", hour: "04:00:00" }]);
    const vpc = one(result, VPC);
    assert.equal(cluster.inputs["privateNetworkUuid"], vpc.id);
    assert.deepEqual(cluster.propertyDependencies["privateNetworkUuid"], [vpc.urn], "the cluster joins the server's VPC");
    assert.equal(cluster.inputs["backupRestore"], undefined, "a fresh cluster restores nothing");
  });

  test("the cluster is protected and never deleted by Pulumi; so is everything holding data or access", () => {
    const cluster = one(result, CLUSTER);
    assert.equal(cluster.options.protect, true);
    for (const r of [cluster, one(result, FIREWALL), one(result, USER), ...byType(result, DB)]) {
      assert.equal(r.options.retainOnDelete, true, `${r.name} is retained on delete`);
    }
  });

  test("trusted sources: exactly the droplet and the configured operator networks", () => {
    const firewall = one(result, FIREWALL);
    const droplet = one(result, DROPLET);
    assert.deepEqual(firewall.inputs["rules"], [
      { type: "droplet", value: droplet.id },
      { type: "ip_addr", value: "203.0.113.10/32" },
      { type: "ip_addr", value: "198.51.100.0/24" },
    ]);
    assert.ok(firewall.propertyDependencies["rules"]?.includes(droplet.urn), "the droplet rule follows the server's droplet");
    assert.equal(firewall.inputs["clusterId"], one(result, CLUSTER).id);
  });

  test("no operator network configured: the droplet alone", async () => {
    const alone = await synthStack("production", withDatabaseCidrs([]));
    assert.deepEqual(one(alone, FIREWALL).inputs["rules"], [{ type: "droplet", value: one(alone, DROPLET).id }]);
  });

  test("the four Rails databases and the app user", () => {
    assert.deepEqual(byType(result, DB).map((d) => d.inputs["name"]).sort(), [...DATABASE_NAMES].sort());
    assert.ok(byType(result, DB).every((d) => d.inputs["clusterId"] === one(result, CLUSTER).id));
    assert.equal(one(result, USER).inputs["name"], APP_USER);
  });

  test("grants: exactly the list of appGrants, through the cluster's admin over TLS, after the databases and the firewall", () => {
    const grants = byType(result, GRANT);
    assert.deepEqual(grants.map(grantShape).sort(byKey), appGrants(DATABASE_NAMES, APP_USER).sort(byKey));

    const provider = one(result, PG_PROVIDER);
    const cluster = one(result, CLUSTER);
    assert.ok(grants.every((g) => g.provider === provider.urn), "every grant goes through the admin provider");
    assert.equal(provider.inputs["host"], "docstown-db-do-user-1234567-0.f.db.ondigitalocean.com", "the public host: pulumi up runs outside the VPC");
    assert.equal(provider.inputs["username"], "doadmin");
    // verify-full against the cluster's CA, from the file the program wrote from getDatabaseCa.
    assert.equal(provider.inputs["sslmode"], "verify-full");
    const caPath = String(provider.inputs["sslrootcert"]);
    assert.match(caPath, /^\/tmp\/docstown-database-ca-[0-9a-f]{16}\.written-by-the-program\.refresh-needs--run-program\.crt$/);
    assert.match(readFileSync(caPath, "utf8"), /^-----BEGIN CERTIFICATE-----\n/);
    assert.equal(caPath, caFilePath(readFileSync(caPath, "utf8")), "the name follows the content, so it is stable from run to run");
    assert.equal(String(provider.inputs["superuser"]), "false");
    assert.equal(provider.inputs["database"], "defaultdb");
    assert.ok(isSecretPath(provider, "password"), "the admin password stays secret");
    assert.deepEqual(provider.propertyDependencies["host"], [cluster.urn]);

    const firewall = one(result, FIREWALL);
    for (const g of grants) {
      assert.ok(g.options.dependsOn.includes(firewall.urn), `${g.name} waits for the trusted sources that let pulumi up in`);
      const db = byType(result, DB).find((d) => d.inputs["name"] === g.inputs["database"]);
      assert.ok(db && g.dependencies.includes(db.urn), `${g.name} waits for its database`);
      if (g.inputs["role"] === APP_USER) assert.ok(g.dependencies.includes(one(result, USER).urn), `${g.name} waits for the user`);
    }
  });

  test("PUBLIC loses its defaults only after the app holds its own grants on that database", () => {
    const grants = byType(result, GRANT);
    for (const revoke of grants.filter((g) => g.inputs["role"] === "public")) {
      const mine = grants.filter((g) => g.inputs["role"] === APP_USER && g.inputs["database"] === revoke.inputs["database"]);
      assert.equal(mine.length, 2);
      for (const g of mine) assert.ok(revoke.options.dependsOn.includes(g.urn), `${revoke.name} after ${g.name}`);
    }
  });

  test("direct URLs: the private host, the app user, each database, TLS verified against the cluster's CA", () => {
    const urls = urlsOf(result, "migrateUrls");
    assert.deepEqual(Object.keys(urls), [...DATABASE_URL_NAMES]);
    const host = (result.outputs["database"] as { host: string }).host;
    for (const name of DATABASE_URL_NAMES) {
      const url = urls[name] as URL;
      assert.equal(url.protocol, "postgresql:");
      assert.equal(url.hostname, `private-${host}`, `${name} uses the private host, not ${host}`);
      assert.equal(url.port, "25060");
      assert.equal(url.username, APP_USER);
      assert.match(decodeURIComponent(url.password), /^AVNS_/, "the app user's password, not the admin's");
      assert.equal(url.pathname, `/${RAILS_DATABASES[name]}`);
      assert.equal(url.searchParams.get("sslmode"), "verify-full");
      assert.equal(url.searchParams.get("sslrootcert"), DATABASE_CA_PATH);
    }
  });

  test("web and worker connect with the pooled URLs, migrate with the direct ones, held as secrets", () => {
    const pooled = urlsOf(result);
    const direct = urlsOf(result, "migrateUrls");
    const labels = (c: RecordedResource) => (c.inputs["labels"] ?? []) as { label: string; value: string }[];
    const roleOf = (c: RecordedResource) => labels(c).find((l) => l.label === "docstown.role")?.value;
    // The app's containers; a one-shot step borrowing role migrate (the operators' keys) holds no URL.
    const containers = byType(result, "docker:index/container:Container").filter(
      (c) => ["web", "worker", "migrate"].includes(roleOf(c) ?? "") && !labels(c).some((l) => l.label === "docstown.step"),
    );
    assert.deepEqual(containers.map(roleOf).sort(), ["migrate", "web", "worker"]);
    for (const c of containers) {
      const { env, secretNames } = containerEnv(c);
      for (const name of DATABASE_URL_NAMES) {
        const urls = roleOf(c) === "migrate" ? direct : pooled;
        assert.equal(env[name], (urls[name] as URL).href, `${c.name} ${name}`);
        assert.ok(secretNames.has(name), `${c.name} holds ${name} as a secret`);
      }
    }
  });

  test("URLs are secrets, and neither a URL nor the app password appears anywhere in clear", () => {
    for (const name of DATABASE_URL_NAMES) {
      assert.ok(result.outputSecretPaths.includes(`database.urls.${name}`), `database.urls.${name} is a secret output`);
    }
    const urls = Object.values(urlsOf(result)).map((u) => u.href);
    const password = decodeURIComponent((Object.values(urlsOf(result))[0] as URL).password);
    const leaks = plainStrings(result).filter(({ value }) => value.includes(password) || urls.some((u) => value.includes(u)) || /postgres(ql)?:\/\//.test(value));
    assert.deepEqual(leaks, []);
  });
});

describe("restore as a config change", () => {
  let result: SynthResult;
  const restore = { clusterName: "docstown-db-r202611200800", restoreFrom: { clusterName: "docstown-db", timestamp: "2026-11-20T08:00:00Z" } };
  before(async () => {
    result = await synthStack("production", withDatabase(restore));
  });

  test("a new, protected cluster restored from the source's backup at that time, in the same VPC", () => {
    const cluster = one(result, CLUSTER);
    assert.equal(cluster.inputs["name"], "docstown-db-r202611200800");
    assert.deepEqual(cluster.inputs["backupRestore"], { databaseName: "docstown-db", backupCreatedAt: "2026-11-20T08:00:00Z" });
    assert.equal(cluster.options.protect, true);
    assert.deepEqual(cluster.propertyDependencies["privateNetworkUuid"], [one(result, VPC).urn]);
    assert.notEqual(cluster.name, "docstown-docstown-db", "its own resource name: the source is not replaced");
  });

  test("without a timestamp, the latest backup", async () => {
    const latest = await synthStack("production", withDatabase({ ...restore, restoreFrom: { clusterName: "docstown-db" } }));
    assert.deepEqual(one(latest, CLUSTER).inputs["backupRestore"], { databaseName: "docstown-db" });
  });

  test("the databases and the app user come with the backup: none is created again, the grants are applied again", () => {
    assert.deepEqual(byType(result, DB), []);
    assert.deepEqual(byType(result, USER), []);
    assert.deepEqual(byType(result, GRANT).map(grantShape).sort(byKey), appGrants(DATABASE_NAMES, APP_USER).sort(byKey));
    assert.ok(byType(result, GRANT).every((g) => g.options.dependsOn.includes(one(result, FIREWALL).urn)));
  });

  test("every URL points at the restored cluster's private host, and stays secret", () => {
    for (const [name, url] of Object.entries(urlsOf(result))) {
      assert.equal(url.hostname, "private-docstown-db-r202611200800-do-user-1234567-0.f.db.ondigitalocean.com", name);
      assert.equal(url.username, APP_USER);
      assert.ok(result.outputSecretPaths.includes(`database.urls.${name}`));
    }
    assert.equal((result.outputs["database"] as { clusterName: string }).clusterName, "docstown-db-r202611200800");
  });

  test("the trusted sources follow the new cluster", () => {
    const firewall = one(result, FIREWALL);
    assert.equal(firewall.inputs["clusterId"], one(result, CLUSTER).id);
    assert.equal((firewall.inputs["rules"] as { type: string }[])[0]?.type, "droplet");
  });
});

describe("database settings are validated before anything is declared", () => {
  const errorsOf = (raw: Record<string, string>) => {
    const r = validateConfig({ ...committed, ...raw }, new Set<string>(SECRET_KEYS));
    return r.ok ? [] : r.errors;
  };

  test("operator networks never open PostgreSQL to the whole internet", () => {
    for (const world of ["0.0.0.0/0", "::/0", "0:0:0:0:0:0:0:0/0", "10.0.0.0/0"]) {
      assert.deepEqual(errorsOf(withDatabaseCidrs(["203.0.113.10/32", world])), [
        "docstown:operators.databaseCidrs[1]: must not open access to the whole internet (0.0.0.0/0 or ::/0)",
      ], world);
    }
  });

  test("IPv6 operator networks are refused: DigitalOcean's trusted sources are IPv4 only", () => {
    assert.deepEqual(errorsOf(withDatabaseCidrs(["2001:db8::/48"])), [
      "docstown:operators.databaseCidrs[0]: must be an IPv4 network: DigitalOcean database trusted sources do not accept IPv6",
    ]);
  });

  test("a restore must name a new cluster", () => {
    assert.deepEqual(errorsOf(withDatabase({ restoreFrom: { clusterName: "docstown-db", timestamp: "2026-11-20T08:00:00Z" } })), [
      "docstown:database.clusterName: must differ from database.restoreFrom.clusterName: a restore creates a new cluster beside docstown-db; name it, e.g. docstown-db-r202611200800",
    ]);
  });

  test("standby nodes need a plan that has them", () => {
    assert.deepEqual(errorsOf(withDatabase({ nodeCount: 2 })), [
      "docstown:database.nodeCount: standby nodes (nodeCount 2 or 3) need a size above db-s-1vcpu-1gb, e.g. db-s-1vcpu-2gb",
    ]);
    assert.deepEqual(errorsOf(withDatabase({ nodeCount: 2, size: "db-s-2vcpu-4gb" })), []);
  });

  test("the off-site backup switch is refused while it does nothing", () => {
    assert.deepEqual(errorsOf({ "docstown:backup": JSON.stringify({ offsite: { enabled: true } }) }), [
      "docstown:backup.offsite.enabled: off-site backups are not implemented yet; DigitalOcean's daily backups and 7-day point-in-time recovery apply (docs/database-restore.md)",
    ]);
  });

  test("a world-open network stops the program before any resource exists", async () => {
    await assert.rejects(synthStack("production", withDatabaseCidrs(["0.0.0.0/0"])), /databaseCidrs\[0\]: must not open access/);
  });
});

describe("standby nodes are a config knob", () => {
  test("nodeCount and size reach the cluster", async () => {
    const result = await synthStack("production", withDatabase({ nodeCount: 3, size: "db-s-2vcpu-4gb" }));
    const cluster = one(result, CLUSTER);
    assert.equal(cluster.inputs["nodeCount"], 3);
    assert.equal(cluster.inputs["size"], "db-s-2vcpu-4gb");
  });
});
