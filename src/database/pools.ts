import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { PerDatabase } from "./connection-budget";
import { connectionUrl } from "./rails";
import { DATABASE_URL_NAMES, RAILS_DATABASES, type DatabaseUrlName } from "./rails";

/**
 * DigitalOcean connection pools (PgBouncer) for the app's runtime connections, one per Rails
 * database, in transaction mode: a server connection is lent to a client for one transaction, so
 * two web containers and two workers during a deploy share the few the 1 GB node has.
 *
 * Transaction mode keeps no session between transactions, so the pooled URLs turn off what needs
 * one: Rails' prepared statements (`prepared_statements=false`) and the advisory lock Rails'
 * migrator takes (`advisory_locks=false`; the stock entrypoint runs `db:prepare` when web boots,
 * which finds nothing to do because migrate already ran). Migrations run in the migrate
 * container over direct URLs, with their lock. Solid Queue claims jobs with `FOR UPDATE SKIP
 * LOCKED` inside a transaction and Solid Cable polls (no LISTEN), so both work through the pool.
 */

/** Settings Rails reads from a pooled URL and keeps to itself. */
export const POOLED_RAILS_PARAMS: Readonly<Record<string, string>> = { prepared_statements: "false", advisory_locks: "false" };

/** A pool is addressed as a database named after it: `docstown_production-pool`. */
export function poolName(database: string): string {
  return `${database}-pool`;
}

export interface PoolArgs {
  readonly clusterId: pulumi.Input<string>;
  /** The database resources when the program created them (a restored cluster brought its own). */
  readonly databases: ReadonlyMap<string, digitalocean.DatabaseDb>;
  readonly appUser: pulumi.Input<string>;
  readonly sizes: PerDatabase;
  readonly dependsOn: readonly pulumi.Resource[];
}

export function declarePools(prefix: string, args: PoolArgs, opts: pulumi.CustomResourceOptions): Record<DatabaseUrlName, digitalocean.DatabaseConnectionPool> {
  const pools = {} as Record<DatabaseUrlName, digitalocean.DatabaseConnectionPool>;
  for (const urlName of DATABASE_URL_NAMES) {
    const database = RAILS_DATABASES[urlName];
    const db = args.databases.get(database);
    pools[urlName] = new digitalocean.DatabaseConnectionPool(`${prefix}-pool-${database}`, {
      clusterId: args.clusterId,
      name: poolName(database),
      mode: "transaction",
      size: args.sizes[urlName],
      dbName: db?.name ?? database,
      user: args.appUser,
    }, { ...opts, dependsOn: [...args.dependsOn, ...(db ? [db] : [])] });
  }
  return pools;
}

/** The pooled URL of one database: the pool's private host and port, the pool as the database. */
export function pooledUrl(pool: digitalocean.DatabaseConnectionPool, user: pulumi.Input<string>, password: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.secret(
    pulumi
      .all([user, password, pool.privateHost, pool.port, pool.name])
      .apply(([u, p, host, port, name]) => connectionUrl({ user: u, password: p, host, port, database: name }, { railsParams: POOLED_RAILS_PARAMS })),
  );
}
