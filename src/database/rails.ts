/**
 * What the Rails 8 app expects of its PostgreSQL (brief, runtime contract): four production
 * databases, each read from its own URL variable, and one login for all of them.
 */

/** The URL variable Rails reads for each database, in `config/database.yml` order. */
export const DATABASE_URL_NAMES = ["DATABASE_URL", "CACHE_DATABASE_URL", "QUEUE_DATABASE_URL", "CABLE_DATABASE_URL"] as const;
export type DatabaseUrlName = (typeof DATABASE_URL_NAMES)[number];

/**
 * Rails' production database names for the app `docstown`: the primary, then Solid Cache,
 * Solid Queue and Solid Cable. Fixed on purpose: renaming one would point the app at an empty
 * database while the data stays in the old one.
 */
export const RAILS_DATABASES: Readonly<Record<DatabaseUrlName, string>> = {
  DATABASE_URL: "docstown_production",
  CACHE_DATABASE_URL: "docstown_production_cache",
  QUEUE_DATABASE_URL: "docstown_production_queue",
  CABLE_DATABASE_URL: "docstown_production_cable",
};

export const DATABASE_NAMES: readonly string[] = DATABASE_URL_NAMES.map((n) => RAILS_DATABASES[n]);

/**
 * The app's login. It owns every table it creates (migrations alter and drop them), so it is
 * fixed too: a new name would own nothing the old one created.
 */
export const APP_USER = "docstown";

/** The database DigitalOcean creates in every cluster; the admin connection lands there. */
export const ADMIN_DATABASE = "defaultdb";

export interface ConnectionParts {
  readonly user: string;
  readonly password: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
}

/**
 * Where the app containers find the managed cluster's CA certificate (public, uploaded like the
 * proxy's certificate), so libpq can verify the server (`sslmode=verify-full&sslrootcert=…`).
 */
export const DATABASE_CA_PATH = "/etc/docstown/database-ca.crt";

export interface ConnectionUrlOptions {
  /** The CA file libpq verifies the server against; default DATABASE_CA_PATH (in the containers). */
  readonly caPath?: string;
  /**
   * Settings Rails reads from the URL's query and keeps to itself (it hands libpq only libpq's
   * own keys), e.g. `prepared_statements=false` behind PgBouncer in transaction mode.
   */
  readonly railsParams?: Readonly<Record<string, string>>;
}

/**
 * A libpq/Rails connection URL. User and password are percent-encoded: DigitalOcean passwords
 * are URL-safe today, but a rotated or restored one need not be.
 *
 * TLS is `verify-full` against the cluster's CA: the certificate must chain to that CA and name
 * the host in the URL. `require` only encrypts, so anything able to answer on the private
 * address (a compromised neighbour on the VPC, a misrouted DNS name) could pose as the database
 * and collect the app's password. The CA is public, so it travels as a file, not as a secret.
 */
export function connectionUrl(parts: ConnectionParts, options: ConnectionUrlOptions = {}): string {
  if (!/^[a-z0-9][a-z0-9.-]*$/i.test(parts.host)) throw new Error(`not a host name: ${parts.host}`);
  if (!Number.isInteger(parts.port) || parts.port < 1 || parts.port > 65535) throw new Error(`not a port: ${parts.port}`);
  const caPath = options.caPath ?? DATABASE_CA_PATH;
  if (!/^\/[A-Za-z0-9._/-]+$/.test(caPath)) throw new Error(`not an absolute file path: ${caPath}`);
  const user = encodeURIComponent(parts.user);
  const password = encodeURIComponent(parts.password);
  const query = [`sslmode=verify-full`, `sslrootcert=${caPath}`];
  for (const [key, value] of Object.entries(options.railsParams ?? {})) query.push(`${encodeURIComponent(key)}=${encodeURIComponent(value)}`);
  return `postgresql://${user}:${password}@${parts.host}:${parts.port}/${encodeURIComponent(parts.database)}?${query.join("&")}`;
}
