import { MIGRATE_CONNECTIONS, OPERATOR_HEADROOM, type ConnectionBudget } from "./connection-budget";
import { DATABASE_URL_NAMES } from "./rails";

/**
 * How many connections the `postgresql` provider (the cluster admin, applying and reading the
 * grants) may open: its `maxConnections`, from the connection budget's spare.
 *
 * The provider's own default is 20, and it is a limit per database, not in all: the provider keeps
 * one `database/sql` pool per connection string, and the string names the database
 * (terraform-provider-postgresql, postgresql/config.go: `dbRegistry[dsn]`, `SetMaxOpenConns(MaxConns)`).
 * It opens its own database (`defaultdb`, where every operation starts by checking that the
 * grant's database exists) and each of the four Rails databases (a grant's reads and writes run in
 * a transaction there). So with a limit of n it may hold 5 × n connections at once; a refresh
 * reads all 16 grants, as many at once as `pulumi --parallel` allows.
 *
 * What it may use, given a budget that fits:
 * - its share of the operators' headroom: OPERATOR_HEADROOM keeps 3, of which OPERATOR_SESSIONS
 *   (psql, `rails dbconsole` during an incident) are people's, the rest the provider's;
 * - migrate's connections: within one Pulumi operation the provider and migrate never run at once
 *   (migrate waits for the whole database component, grants included, and a refresh starts no
 *   container); a drift refresh that overlaps a deploy run elsewhere is the one exception;
 * - whatever the budget leaves unallocated (`limit - serverConnections`).
 */

/** Of OPERATOR_HEADROOM, the connections kept for people; the rest is the provider's. */
export const OPERATOR_SESSIONS = 2;

/** The databases the provider opens a pool to: its own (`defaultdb`) and the four Rails databases. */
export const ADMIN_PROVIDER_DATABASES = 1 + DATABASE_URL_NAMES.length;

export interface AdminProviderConnections {
  /** Connections the provider may hold in all without taking any from the app's pools. */
  readonly spare: number;
  /** The provider's `maxConnections`: per database, at least 1 (0 would mean unlimited to it). */
  readonly perDatabase: number;
  /** The most it may then hold at once: `perDatabase` × ADMIN_PROVIDER_DATABASES. */
  readonly worstCase: number;
}

/**
 * The provider's limit for a budget that fits; throws for one that does not (config validation
 * refuses such a config first, with the keys to change). A fitting budget always spares at least
 * ADMIN_PROVIDER_DATABASES (the provider's share of the headroom plus migrate's four), so the
 * limit is at least 1 and its worst case stays within the spare.
 */
export function adminProviderConnections(budget: ConnectionBudget): AdminProviderConnections {
  if (!budget.fits) {
    throw new Error(
      `the connection budget does not fit (${budget.serverConnections} of ${budget.input.limit}): no connection is spare for the postgresql provider`,
    );
  }
  const unallocated = budget.input.limit - budget.serverConnections;
  const spare = unallocated + (OPERATOR_HEADROOM - OPERATOR_SESSIONS) + MIGRATE_CONNECTIONS;
  const perDatabase = Math.max(1, Math.floor(spare / ADMIN_PROVIDER_DATABASES));
  return { spare, perDatabase, worstCase: perDatabase * ADMIN_PROVIDER_DATABASES };
}
