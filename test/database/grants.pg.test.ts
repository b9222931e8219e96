import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { appGrants, grantSql } from "../../src/database/grants";
import { ADMIN_DATABASE, APP_USER, DATABASE_NAMES } from "../../src/database/rails";
import { pgSkipReason, ThrowawayCluster, type Login } from "./pg-cluster";

/**
 * The app user's grants against a real PostgreSQL, set up the way DigitalOcean sets up a managed
 * cluster: an admin (`doadmin`) that is not a superuser but may create databases and roles, owns
 * the databases it creates, and applies the grants from the same data the program declares.
 * Expectations are written out here, not derived from that data, so removing or adding a
 * privilege there fails this test.
 */

const skip = pgSkipReason();
const admin: Login = { user: "doadmin", password: "AVNS_admin-password" };
const app: Login = { user: APP_USER, password: "AVNS_app-password" };
const stranger: Login = { user: "reporting", password: "AVNS_other-password" };

describe("the app user's grants on a real PostgreSQL", { skip, timeout: 60_000 }, () => {
  let pg: ThrowawayCluster | undefined;
  const cluster = (): ThrowawayCluster => {
    if (pg === undefined) throw new Error("the PostgreSQL server did not start");
    return pg;
  };

  before(async () => {
    pg = await ThrowawayCluster.start();
    const su = pg.superuser;
    pg.must(su, "postgres", `CREATE ROLE doadmin LOGIN PASSWORD '${admin.password}' CREATEDB CREATEROLE;
      CREATE DATABASE ${ADMIN_DATABASE} OWNER doadmin;`);
    // What the DigitalOcean API does for DatabaseDb and DatabaseUser, as the admin.
    for (const db of DATABASE_NAMES) pg.must(admin, ADMIN_DATABASE, `CREATE DATABASE ${db};`);
    pg.must(admin, ADMIN_DATABASE, `CREATE ROLE ${app.user} LOGIN PASSWORD '${app.password}';
      CREATE ROLE ${stranger.user} LOGIN PASSWORD '${stranger.password}';`);
    // What postgresql.Grant does for each declared grant, as the admin, each in one transaction.
    for (const spec of appGrants(DATABASE_NAMES, APP_USER)) {
      const { database, statements } = grantSql(spec);
      pg.must(admin, database, `BEGIN;\n${statements.map((s) => `${s};`).join("\n")}\nCOMMIT;`);
    }
  });

  after(() => pg?.stop());

  test("the admin is not a superuser (as on DigitalOcean), yet could apply every grant", () => {
    assert.equal(cluster().must(admin, ADMIN_DATABASE, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user;"), "f");
  });

  test("on each database the app user holds CONNECT, and neither CREATE nor TEMPORARY", () => {
    for (const db of DATABASE_NAMES) {
      const held = cluster().must(admin, ADMIN_DATABASE, `SELECT string_agg(p || '=' || has_database_privilege('${app.user}', '${db}', p), ',' ORDER BY p)
        FROM unnest(ARRAY['CONNECT', 'CREATE', 'TEMPORARY']) AS p;`);
      assert.equal(held, "CONNECT=true,CREATE=false,TEMPORARY=false", db);
    }
  });

  test("in each database the app user holds USAGE and CREATE on the public schema", () => {
    for (const db of DATABASE_NAMES) {
      const held = cluster().must(admin, db, `SELECT string_agg(p || '=' || has_schema_privilege('${app.user}', 'public', p), ',' ORDER BY p)
        FROM unnest(ARRAY['CREATE', 'USAGE']) AS p;`);
      assert.equal(held, "CREATE=true,USAGE=true", db);
    }
  });

  test("the app user has no role attribute and belongs to no role", () => {
    const attributes = cluster().must(admin, ADMIN_DATABASE, `SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls
      FROM pg_roles WHERE rolname = '${app.user}';`);
    assert.equal(attributes, "f|f|f|f|f");
    assert.equal(cluster().must(admin, ADMIN_DATABASE, `SELECT count(*) FROM pg_auth_members WHERE member = '${app.user}'::regrole;`), "0");
  });

  test("as the app user, each database takes what Rails and Solid Queue do: tables, rows, SKIP LOCKED, indexes, later migrations", () => {
    for (const db of DATABASE_NAMES) {
      const out = cluster().must(app, db, `
        CREATE EXTENSION IF NOT EXISTS plpgsql;
        CREATE TABLE schema_migrations (version varchar PRIMARY KEY);
        CREATE TABLE ar_internal_metadata (key varchar PRIMARY KEY, value varchar, created_at timestamp(6) NOT NULL, updated_at timestamp(6) NOT NULL);
        CREATE TABLE solid_queue_jobs (id bigserial PRIMARY KEY, queue_name varchar NOT NULL, class_name varchar NOT NULL, finished_at timestamp(6));
        CREATE TABLE solid_queue_ready_executions (
          id bigserial PRIMARY KEY,
          job_id bigint NOT NULL REFERENCES solid_queue_jobs (id) ON DELETE CASCADE,
          queue_name varchar NOT NULL, priority integer DEFAULT 0 NOT NULL);
        CREATE UNIQUE INDEX index_solid_queue_ready_executions_on_job_id ON solid_queue_ready_executions (job_id);
        CREATE INDEX index_solid_queue_poll_all ON solid_queue_ready_executions (priority, job_id);
        INSERT INTO schema_migrations VALUES ('20260101000000');
        INSERT INTO solid_queue_jobs (queue_name, class_name) VALUES ('default', 'DiscoverJob'), ('default', 'DraftJob');
        INSERT INTO solid_queue_ready_executions (job_id, queue_name) SELECT id, queue_name FROM solid_queue_jobs;
        BEGIN;
        SELECT job_id FROM solid_queue_ready_executions ORDER BY priority, job_id LIMIT 1 FOR UPDATE SKIP LOCKED;
        DELETE FROM solid_queue_ready_executions WHERE job_id = 1;
        UPDATE solid_queue_jobs SET finished_at = now() WHERE id = 1;
        COMMIT;
        ALTER TABLE solid_queue_jobs ADD COLUMN concurrency_key varchar;
        CREATE INDEX index_solid_queue_jobs_on_concurrency_key ON solid_queue_jobs (concurrency_key);
        SELECT count(*) FROM solid_queue_ready_executions;
        SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = 'public';`);
      assert.deepEqual(out.split("\n"), ["1", "1", `${app.user}`], `${db}: claimed job 1, one job left ready, every table owned by the app`);
    }
  });

  test("the app user cannot create roles, databases, schemas or temporary tables", () => {
    const refused: [string, RegExp][] = [
      [`CREATE ROLE intruder LOGIN PASSWORD 'x';`, /permission denied to create role/],
      ["CREATE DATABASE docstown_other;", /permission denied to create database/],
      ["CREATE SCHEMA elsewhere;", /permission denied for database/],
      ["CREATE TEMPORARY TABLE scratch (x int);", /permission denied to create temporary tables/],
      [`ALTER ROLE ${app.user} CREATEDB;`, /permission denied/],
      ["CREATE EXTENSION pgcrypto;", /permission denied/],
    ];
    for (const [statement, error] of refused) {
      const result = cluster().sql(app, DATABASE_NAMES[0] as string, statement);
      assert.equal(result.ok, false, `${statement} succeeded`);
      assert.match(result.stderr, error, statement);
    }
  });

  test("no other role reaches the app's databases through PUBLIC's defaults", () => {
    for (const db of DATABASE_NAMES) {
      const result = cluster().sql(stranger, db, "SELECT 1;");
      assert.equal(result.ok, false, `${stranger.user} connected to ${db}`);
      assert.match(result.stderr, /permission denied for database/);
    }
    // The admin owns the databases and keeps its rights on them (the tables are the app's: reading
    // them as the admin takes `GRANT docstown TO doadmin` first, see docs/database-restore.md).
    for (const db of DATABASE_NAMES) assert.equal(cluster().must(admin, db, "SELECT current_database();"), db);
  });

  test("the runbook's inspection step: the admin reads the app's tables once it joins the app's role", () => {
    const read = `SELECT count(*) FROM solid_queue_jobs;`;
    const db = DATABASE_NAMES[0] as string;
    assert.match(cluster().sql(admin, db, read).stderr, /permission denied for table solid_queue_jobs/);
    cluster().must(admin, ADMIN_DATABASE, `GRANT ${app.user} TO doadmin;`);
    assert.equal(cluster().must(admin, db, `SET ROLE ${app.user}; ${read}`), "2");
    cluster().must(admin, ADMIN_DATABASE, `REVOKE ${app.user} FROM doadmin;`);
  });

  test("grants are idempotent: applying them again changes nothing", () => {
    const acl = () => cluster().must(admin, ADMIN_DATABASE, "SELECT string_agg(datname || ':' || datacl::text, ' ' ORDER BY datname) FROM pg_database WHERE datname LIKE 'docstown_production%';");
    const beforeAcl = acl();
    for (const spec of appGrants(DATABASE_NAMES, APP_USER)) {
      const { database, statements } = grantSql(spec);
      cluster().must(admin, database, `BEGIN;\n${statements.map((s) => `${s};`).join("\n")}\nCOMMIT;`);
    }
    assert.equal(acl(), beforeAcl);
  });
});
