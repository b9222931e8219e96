import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { appGrants, grantKey, grantSql } from "../../src/database/grants";
import { APP_USER, connectionUrl, DATABASE_NAMES, RAILS_DATABASES } from "../../src/database/rails";
import { clusterOrigin, suggestedRestoreName } from "../../src/database/restore";
import { trustedSources } from "../../src/database/trusted-sources";

describe("Rails' databases", () => {
  test("the four production databases of the runtime contract, one URL variable each", () => {
    assert.deepEqual(RAILS_DATABASES, {
      DATABASE_URL: "docstown_production",
      CACHE_DATABASE_URL: "docstown_production_cache",
      QUEUE_DATABASE_URL: "docstown_production_queue",
      CABLE_DATABASE_URL: "docstown_production_cable",
    });
  });
});

describe("connectionUrl", () => {
  const parts = { user: "docstown", password: "AVNS_abc", host: "private-db.example.com", port: 25060, database: "docstown_production" };

  test("user, password, private host, port, database, TLS verified against the CA file in the containers", () => {
    assert.equal(
      connectionUrl(parts),
      "postgresql://docstown:AVNS_abc@private-db.example.com:25060/docstown_production?sslmode=verify-full&sslrootcert=/etc/docstown/database-ca.crt",
    );
    assert.equal(
      connectionUrl(parts, { caPath: "/tmp/ca.crt", railsParams: { prepared_statements: "false" } }),
      "postgresql://docstown:AVNS_abc@private-db.example.com:25060/docstown_production?sslmode=verify-full&sslrootcert=/tmp/ca.crt&prepared_statements=false",
    );
    assert.throws(() => connectionUrl(parts, { caPath: "ca.crt" }), /not an absolute file path/);
    assert.throws(() => connectionUrl(parts, { caPath: "/x&sslmode=disable" }), /not an absolute file path/);
  });

  test("a password with URL metacharacters survives the round trip", () => {
    const password = "p@ss:w/rd?#%&= x";
    const url = new URL(connectionUrl({ ...parts, password }));
    assert.equal(decodeURIComponent(url.password), password);
    assert.equal(url.hostname, "private-db.example.com");
    assert.equal(url.pathname, "/docstown_production");
    assert.equal(url.searchParams.get("sslmode"), "verify-full");
  });

  test("refuses a host that would change the URL's meaning", () => {
    assert.throws(() => connectionUrl({ ...parts, host: "evil.example.com/x?" }), /not a host name/);
    assert.throws(() => connectionUrl({ ...parts, port: 0 }), /not a port/);
  });
});

describe("appGrants", () => {
  test("CONNECT on each database, USAGE and CREATE on its public schema, PUBLIC's defaults revoked", () => {
    assert.deepEqual(appGrants(["a"], "app"), [
      { role: "app", database: "a", objectType: "database", privileges: ["CONNECT"] },
      { role: "app", database: "a", objectType: "schema", schema: "public", privileges: ["USAGE", "CREATE"] },
      { role: "public", database: "a", objectType: "database", privileges: [] },
      { role: "public", database: "a", objectType: "schema", schema: "public", privileges: [] },
    ]);
  });

  test("covers the four Rails databases and nothing else", () => {
    const grants = appGrants(DATABASE_NAMES, APP_USER);
    assert.deepEqual([...new Set(grants.map((g) => g.database))], [...DATABASE_NAMES]);
    assert.equal(grants.length, 16);
    assert.ok(grants.every((g) => g.role === APP_USER || g.privileges.length === 0), "only the app user receives privileges");
    assert.equal(new Set(grants.map(grantKey)).size, grants.length, "every grant has its own resource name");
  });

  test("refuses to grant to PUBLIC under the app's name, or twice to one database", () => {
    assert.throws(() => appGrants(["a"], "PUBLIC"), /cannot be named/);
    assert.throws(() => appGrants(["a", "a"], "app"), /duplicate/);
  });
});

describe("grantSql (what postgresql.Grant runs)", () => {
  test("revokes, then grants, on the database", () => {
    assert.deepEqual(grantSql({ role: "app", database: "d", objectType: "database", privileges: ["CONNECT"] }), {
      database: "d",
      statements: ['REVOKE ALL PRIVILEGES ON DATABASE "d" FROM "app"', 'GRANT CONNECT ON DATABASE "d" TO "app"'],
    });
  });

  test("schema privileges run inside their database; an empty list only revokes; PUBLIC is a keyword", () => {
    assert.deepEqual(grantSql({ role: "public", database: "d", objectType: "schema", schema: "public", privileges: [] }), {
      database: "d",
      statements: ['REVOKE ALL PRIVILEGES ON SCHEMA "public" FROM PUBLIC'],
    });
  });

  test("quotes identifiers", () => {
    const { statements } = grantSql({ role: 'we"ird', database: "d", objectType: "database", privileges: ["CONNECT"] });
    assert.equal(statements[1], 'GRANT CONNECT ON DATABASE "d" TO "we""ird"');
  });
});

describe("trustedSources", () => {
  test("the droplet, then each operator network", () => {
    assert.deepEqual(trustedSources(["123"], ["203.0.113.10/32", "198.51.100.0/24"]), [
      { type: "droplet", value: "123" },
      { type: "ip_addr", value: "203.0.113.10/32" },
      { type: "ip_addr", value: "198.51.100.0/24" },
    ]);
  });

  test("never the whole internet, never IPv6 (DigitalOcean refuses it), never without a droplet", () => {
    for (const world of ["0.0.0.0/0", "::/0", "10.0.0.0/0"]) assert.throws(() => trustedSources(["1"], [world]), /whole internet/);
    assert.throws(() => trustedSources(["1"], ["2001:db8::/32"]), /IPv4 networks only/);
    assert.throws(() => trustedSources([], ["203.0.113.10/32"]), /at least one droplet/);
    assert.throws(() => trustedSources(["1"], ["203.0.113.10"]), /CIDR/);
  });
});

describe("clusterOrigin", () => {
  test("no restoreFrom: a new, empty cluster", () => {
    assert.deepEqual(clusterOrigin({ clusterName: "docstown-db" }), { kind: "created" });
  });

  test("restoreFrom: a backupRestore of the source at the given time, or its latest backup", () => {
    assert.deepEqual(clusterOrigin({ clusterName: "docstown-db-r1", restoreFrom: { clusterName: "docstown-db", timestamp: "2026-11-20T08:00:00Z" } }), {
      kind: "restored",
      backupRestore: { databaseName: "docstown-db", backupCreatedAt: "2026-11-20T08:00:00Z" },
    });
    assert.deepEqual(clusterOrigin({ clusterName: "docstown-db-r1", restoreFrom: { clusterName: "docstown-db" } }), {
      kind: "restored",
      backupRestore: { databaseName: "docstown-db" },
    });
  });

  test("restoring onto the source's own name is refused", () => {
    assert.throws(() => clusterOrigin({ clusterName: "docstown-db", restoreFrom: { clusterName: "docstown-db" } }), /must differ/);
  });

  test("suggested names: source plus the restore time, within 63 characters, not stacking suffixes", () => {
    const at = new Date("2026-11-20T08:05:00Z");
    assert.equal(suggestedRestoreName("docstown-db", at), "docstown-db-r202611200805");
    assert.equal(suggestedRestoreName("docstown-db-r202611010000", at), "docstown-db-r202611200805");
    assert.ok(suggestedRestoreName("x".repeat(63), at).length <= 63);
  });
});
