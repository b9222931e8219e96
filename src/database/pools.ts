import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { REPLACEMENT_RULES, carriedInputs, replacementKey } from "../../policies/replacement";
import type { PerDatabase } from "./connection-budget";
import { connectionUrl } from "./rails";
import { APP_USER, DATABASE_URL_NAMES, RAILS_DATABASES, type DatabaseUrlName } from "./rails";

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
 *
 * A pool cannot change: the provider has no update for it, every input forces a replacement
 * (terraform-provider-digitalocean, resource_database_connection_pool.go), and its name is unique
 * in the cluster. So the name carries what forces the replacement (`poolName`): a new size is a
 * new pool under a new name, created first; web and worker get URLs naming it and are replaced
 * like a release; the old pool is deleted last, after the containers that used it. The sizes
 * leave room for both sets at once (./connection-budget.ts, `poolSwitch`).
 */

/** Settings Rails reads from a pooled URL and keeps to itself. */
export const POOLED_RAILS_PARAMS: Readonly<Record<string, string>> = { prepared_statements: "false", advisory_locks: "false" };

export const POOL_MODE = "transaction";

const POOL_TYPE = "digitalocean:index/databaseConnectionPool:DatabaseConnectionPool";

/** What a pool is created with, besides its cluster and name: everything that replaces it. */
export interface PoolSpec {
  readonly dbName: string;
  readonly mode: string;
  readonly size: number;
  readonly user: string;
}

/**
 * A pool's name, addressed as a database in the URL: the database's name, `-pool-`, and the
 * replacement key of every input that would replace it (policies/replacement.ts), e.g.
 * `docstown_production-pool-1a2b3c4d`. A new size is a new name, so the new pool never meets the
 * old one's name (DigitalOcean: `422 pool name is not available`).
 */
export function poolName(spec: PoolSpec): string {
  const carried = carriedInputs(REPLACEMENT_RULES[POOL_TYPE] ?? { forcesReplacement: [] });
  const values: Record<string, unknown> = { ...spec };
  const key = replacementKey(Object.fromEntries(carried.map((k) => [k, values[k]])));
  return `${spec.dbName}-pool-${key}`;
}

export interface PoolArgs {
  readonly cluster: digitalocean.DatabaseCluster;
  /** The database resources when the program created them (a restored cluster brought its own). */
  readonly databases: ReadonlyMap<string, digitalocean.DatabaseDb>;
  readonly sizes: PerDatabase;
  readonly dependsOn: readonly pulumi.Resource[];
}

/**
 * The four pools. Options, each for a reason:
 * - `deleteBeforeReplace: false`, stated: the bridge would otherwise delete first (it does so for
 *   a name set by the program), and Pulumi then first deletes web and worker too, whose URLs name
 *   the pool: the app would stop until the new web is healthy.
 * - `deletedWith: cluster` instead of `retainOnDelete`: a replaced pool is deleted (it holds no
 *   data, only part of the node's connections, which the next set needs); when the cluster itself
 *   leaves the program (a restore moved to a new one; the cluster is retained), its pools are left
 *   with it and no call reaches the old cluster's API.
 */
export function declarePools(prefix: string, args: PoolArgs, opts: { readonly parent: pulumi.Resource }): Record<DatabaseUrlName, digitalocean.DatabaseConnectionPool> {
  const pools = {} as Record<DatabaseUrlName, digitalocean.DatabaseConnectionPool>;
  for (const urlName of DATABASE_URL_NAMES) {
    const database = RAILS_DATABASES[urlName];
    const db = args.databases.get(database);
    const spec: PoolSpec = { dbName: database, mode: POOL_MODE, size: args.sizes[urlName], user: APP_USER };
    pools[urlName] = new digitalocean.DatabaseConnectionPool(`${prefix}-pool-${database}`, {
      clusterId: args.cluster.id,
      name: poolName(spec),
      mode: spec.mode,
      size: spec.size,
      dbName: db?.name ?? spec.dbName,
      user: spec.user,
    }, {
      parent: opts.parent,
      deleteBeforeReplace: false,
      deletedWith: args.cluster,
      dependsOn: [...args.dependsOn, ...(db ? [db] : [])],
    });
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
