import { RAILS_DATABASES, type DatabaseUrlName } from "../database/rails";
import { parseImageReference } from "../app/image";

/**
 * Pure facts about the local stack's PostgreSQL container: its login, where the official image
 * keeps its data, and the URLs the app reaches it by.
 */

/** The login the official image creates from POSTGRES_USER; it owns every database it creates. */
export const LOCAL_DB_USER = "docstown";

/** Network alias of the PostgreSQL container on its own network. */
export const LOCAL_DB_HOST = "postgres";

export const LOCAL_DB_PORT = 5432;

/**
 * Used when `docstown:localPostgresPassword` is not set. Local only: the container publishes no
 * port, so it is reachable just from the containers on its internal network.
 */
export const DEFAULT_LOCAL_DB_PASSWORD = "docstown-local-only";

/**
 * Where the named data volume is mounted. Up to 17 the image declares VOLUME
 * /var/lib/postgresql/data (mounting its parent would leave the data in an anonymous volume);
 * from 18 the data lives in a versioned directory under /var/lib/postgresql, the path to mount.
 */
export function postgresDataPath(imageReference: string): string {
  const tag = parseImageReference(imageReference).tag ?? "latest";
  const major = /^(\d+)/.exec(tag)?.[1];
  if (major === undefined) return "/var/lib/postgresql";
  return Number(major) >= 18 ? "/var/lib/postgresql" : "/var/lib/postgresql/data";
}

/** The four Rails URLs; no TLS, as the traffic never leaves the Docker host. */
export function localDatabaseUrls(password: string): Record<DatabaseUrlName, string> {
  const auth = `${encodeURIComponent(LOCAL_DB_USER)}:${encodeURIComponent(password)}`;
  const url = (db: string) => `postgresql://${auth}@${LOCAL_DB_HOST}:${LOCAL_DB_PORT}/${db}`;
  return {
    DATABASE_URL: url(RAILS_DATABASES.DATABASE_URL),
    CACHE_DATABASE_URL: url(RAILS_DATABASES.CACHE_DATABASE_URL),
    QUEUE_DATABASE_URL: url(RAILS_DATABASES.QUEUE_DATABASE_URL),
    CABLE_DATABASE_URL: url(RAILS_DATABASES.CABLE_DATABASE_URL),
  };
}

/** pg_isready against the primary database, the one POSTGRES_DB creates. */
export function postgresHealthTest(): string[] {
  return ["CMD", "pg_isready", "-h", "127.0.0.1", "-p", String(LOCAL_DB_PORT), "-U", LOCAL_DB_USER, "-d", RAILS_DATABASES.DATABASE_URL];
}
