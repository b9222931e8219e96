// The local PostgreSQL's data path and the URLs the app reaches it by.
import { test } from "node:test";
import assert from "node:assert/strict";
import { localDatabaseUrls, postgresDataPath, postgresHealthTest } from "../../src/local/postgres";

test("the data volume is mounted where the image keeps its data, before and after PostgreSQL 18", () => {
  assert.equal(postgresDataPath("postgres:17"), "/var/lib/postgresql/data");
  assert.equal(postgresDataPath("postgres:16-alpine"), "/var/lib/postgresql/data");
  assert.equal(postgresDataPath(`postgres:17@sha256:${"e".repeat(64)}`), "/var/lib/postgresql/data");
  assert.equal(postgresDataPath("postgres:18"), "/var/lib/postgresql");
  assert.equal(postgresDataPath("postgres:latest"), "/var/lib/postgresql");
});

test("four Rails URLs on the postgres alias, password percent-encoded, no TLS on the host-local hop", () => {
  const urls = localDatabaseUrls("p@ss/w:rd");
  assert.deepEqual(urls, {
    DATABASE_URL: "postgresql://docstown:p%40ss%2Fw%3Ard@postgres:5432/docstown_production",
    CACHE_DATABASE_URL: "postgresql://docstown:p%40ss%2Fw%3Ard@postgres:5432/docstown_production_cache",
    QUEUE_DATABASE_URL: "postgresql://docstown:p%40ss%2Fw%3Ard@postgres:5432/docstown_production_queue",
    CABLE_DATABASE_URL: "postgresql://docstown:p%40ss%2Fw%3Ard@postgres:5432/docstown_production_cable",
  });
  assert.equal(new URL(urls.DATABASE_URL).password, "p%40ss%2Fw%3Ard");
});

test("health: pg_isready on the primary database as the app's login", () => {
  assert.deepEqual(postgresHealthTest(), ["CMD", "pg_isready", "-h", "127.0.0.1", "-p", "5432", "-U", "docstown", "-d", "docstown_production"]);
});
