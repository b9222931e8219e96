import {
  KNOWN_CONNECTION_LIMITS, MIGRATE_CONNECTIONS, OPERATOR_HEADROOM, POOL_SETS_AT_ONCE, connectionBudget, describePeak, smallestSizeFor,
  type ConnectionBudget, type Pooling,
} from "./connection-budget";
import { DATABASE_URL_NAMES } from "./rails";

/**
 * The connection budget as config validation: which settings do not fit, under which key, and
 * what to change. Plain inputs (the schema's types fit them), so src/config can call this
 * without this module importing the config.
 */

export interface ConnectionSettings {
  readonly database: { readonly size: string; readonly pooling: Pooling; readonly connectionLimit?: number | undefined };
  readonly app: { readonly railsMaxThreads: number; readonly jobConcurrency: number };
  /** `docstown:web`: each web host runs its own web container (absent: one). */
  readonly web?: { readonly count: number };
}

export interface KeyedProblem {
  /** Config key under `docstown:`, e.g. `database.size`. */
  readonly key: string;
  readonly problem: string;
}

/** The size's limit: the known one, else the `database.connectionLimit` override. */
export function connectionLimit(database: ConnectionSettings["database"]): number | undefined {
  return KNOWN_CONNECTION_LIMITS[database.size] ?? database.connectionLimit;
}

/** The budget for settings the validation accepted; throws for settings it would refuse. */
export function budgetFor(settings: ConnectionSettings): ConnectionBudget {
  const problems = connectionProblems(settings);
  if (problems.length > 0) throw new Error(problems.map((p) => `docstown:${p.key}: ${p.problem}`).join("\n"));
  const limit = connectionLimit(settings.database) as number;
  return connectionBudget({ ...settings.app, pooling: settings.database.pooling, limit, ...webHosts(settings) });
}

/** Web hosts only when set, so a stack without `web` gets exactly the budget it had. */
function webHosts(settings: ConnectionSettings): { webHosts?: number } {
  return settings.web === undefined ? {} : { webHosts: settings.web.count };
}

export function connectionProblems(settings: ConnectionSettings): KeyedProblem[] {
  const { size, pooling, connectionLimit: override } = settings.database;
  const known = KNOWN_CONNECTION_LIMITS[size];
  if (known !== undefined && override !== undefined) {
    return [{ key: "database.connectionLimit", problem: `must be left unset: ${size} allows ${known} connections, which the program knows` }];
  }
  if (known === undefined && override === undefined) {
    return [{
      key: "database.connectionLimit",
      problem: `is required for database.size ${size}, whose connection limit the program does not know (it knows ${Object.keys(KNOWN_CONNECTION_LIMITS).join(", ")}); set DigitalOcean's limit for that size: 25 per GB of RAM, minus 3`,
    }];
  }
  const limit = (known ?? override) as number;
  const budget = connectionBudget({ ...settings.app, pooling, limit, ...webHosts(settings) });
  if (budget.fits) return [];
  const limitKey = known === undefined ? "database.connectionLimit" : "database.size";
  const allows = known === undefined ? `a limit of ${limit} connections` : `${size} allows ${limit} connections`;
  if (pooling === "pgbouncer") {
    const needed = MIGRATE_CONNECTIONS + OPERATOR_HEADROOM + POOL_SETS_AT_ONCE * DATABASE_URL_NAMES.length;
    return [{
      key: limitKey,
      problem: `${allows}: too few for four PgBouncer pools of at least 1, twice (a change of pool sizes creates the new pools beside the old), beside migrate (${MIGRATE_CONNECTIONS}) and operators (${OPERATOR_HEADROOM}), ${needed} in all; choose a larger database.size`,
    }];
  }
  const larger = smallestSizeFor(budget.serverConnections);
  const fixes = [
    `set database.pooling to pgbouncer`,
    ...(larger !== undefined ? [`database.size to ${larger} (${KNOWN_CONNECTION_LIMITS[larger]})`] : []),
    `or lower app.railsMaxThreads (${settings.app.railsMaxThreads}) or app.jobConcurrency (${settings.app.jobConcurrency})${(settings.web?.count ?? 1) > 1 ? ` or web.count (${settings.web?.count})` : ""}`,
  ];
  return [{
    key: limitKey,
    problem: `${allows}, but with database.pooling direct a deploy may open ${budget.serverConnections}: ${describePeak(budget)}, plus ${OPERATOR_HEADROOM} for operators; ${fixes.join(", ")}`,
  }];
}
