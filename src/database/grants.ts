/**
 * The app user's privileges, as data. The `postgresql.Grant` resources and the test against a
 * real PostgreSQL both read this one list, so what is deployed and what is proven cannot drift.
 */

/** The role name PostgreSQL uses for "every role". */
export const PUBLIC_ROLE = "public";

export type GrantObjectType = "database" | "schema";
export type Privilege = "CONNECT" | "TEMPORARY" | "CREATE" | "USAGE";

export interface GrantSpec {
  /** Role receiving the privileges; `public` means every role. */
  readonly role: string;
  readonly database: string;
  readonly objectType: GrantObjectType;
  /** Set when objectType is `schema`. */
  readonly schema?: string;
  /** Exactly the privileges the role holds on the object afterwards; empty revokes them all. */
  readonly privileges: readonly Privilege[];
}

/**
 * What the app needs in each of its databases, and nothing more:
 * - CONNECT on the database (no CREATE: no new schemas; no TEMPORARY: Rails uses no temp tables);
 * - USAGE and CREATE on the `public` schema, where Rails, Solid Queue, Solid Cache and Solid Cable
 *   create their tables (PostgreSQL 15 stopped granting CREATE there to everyone).
 * The app owns what it creates, which is what lets later migrations alter it.
 *
 * Every role otherwise gets CONNECT and TEMPORARY on a new database, and USAGE on its `public`
 * schema, through PUBLIC. Those defaults are revoked, so the list above is the whole of what the
 * app user (or any future role) holds; the database owner (the cluster admin) keeps its rights.
 */
export function appGrants(databases: readonly string[], user: string): GrantSpec[] {
  if (user === "" || user.toLowerCase() === PUBLIC_ROLE) throw new Error(`the app user cannot be named "${user}"`);
  if (new Set(databases).size !== databases.length) throw new Error(`duplicate database in ${databases.join(", ")}`);
  return databases.flatMap((database): GrantSpec[] => [
    { role: user, database, objectType: "database", privileges: ["CONNECT"] },
    { role: user, database, objectType: "schema", schema: "public", privileges: ["USAGE", "CREATE"] },
    { role: PUBLIC_ROLE, database, objectType: "database", privileges: [] },
    { role: PUBLIC_ROLE, database, objectType: "schema", schema: "public", privileges: [] },
  ]);
}

/** A stable, resource-name-safe key for a grant: `docstown-schema-public-docstown_production`. */
export function grantKey(spec: GrantSpec): string {
  const object = spec.objectType === "schema" ? `schema-${spec.schema ?? ""}` : "database";
  return `${spec.role}-${object}-${spec.database}`.replace(/[^A-Za-z0-9_-]/g, "_");
}

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function grantee(role: string): string {
  return role === PUBLIC_ROLE ? "PUBLIC" : ident(role);
}

/**
 * The SQL `postgresql.Grant` runs for a spec: in one transaction it revokes everything the role
 * holds on the object, then grants the listed privileges (which is why a shrunken list takes
 * effect). `database` says where to run it: schema privileges live inside their database.
 */
export function grantSql(spec: GrantSpec): { database: string; statements: string[] } {
  const object =
    spec.objectType === "database"
      ? `DATABASE ${ident(spec.database)}`
      : `SCHEMA ${ident(spec.schema ?? "public")}`;
  const statements = [`REVOKE ALL PRIVILEGES ON ${object} FROM ${grantee(spec.role)}`];
  if (spec.privileges.length > 0) statements.push(`GRANT ${spec.privileges.join(", ")} ON ${object} TO ${grantee(spec.role)}`);
  return { database: spec.database, statements };
}
