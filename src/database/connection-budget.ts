import { DATABASE_URL_NAMES, type DatabaseUrlName } from "./rails";

/**
 * How many PostgreSQL connections DocsTown may hold at its worst moment, against what the
 * cluster's size allows. Pure arithmetic over the config, so the validation refuses a config
 * that does not fit before anything is declared, and the pools are sized from the same numbers.
 *
 * DigitalOcean gives a PostgreSQL node 25 connections per GB of RAM and keeps 3 for itself
 * (docs: "How to Manage Connection Pools", and the API's connection pool `size` field): 22 on the
 * 1 GB node. Connection pools draw on the same 22: the API reference says of a pool's `size` that
 * the node's backend connections "are shared across all connection pools in a cluster", so every
 * pool's size counts against the limit, an old pool's too while it exists.
 *
 * That decides how a pool change applies. A pool cannot be updated (the provider replaces it on
 * any change, size included), and ./pools.ts replaces it create-first under a new name, so the
 * containers switch to the new pools like a release and the old ones go last. Until then
 * DigitalOcean holds two sets of pools; each set is therefore sized from half of what migrate and
 * the operators leave, and `poolSwitch` proves the old set and the new one fit together.
 *
 * Rails opens one connection pool per database and process (primary, cache, queue, cable), each
 * up to its size: RAILS_MAX_THREADS in the generated config/database.yml. Connections open on
 * demand, so the worst case below is the bound a busy hour reaches, not the idle count.
 */

/** `database.size` → connections for users (25 per GB minus DigitalOcean's 3), as last checked. */
export const KNOWN_CONNECTION_LIMITS: Readonly<Record<string, number>> = {
  "db-s-1vcpu-1gb": 22,
  "db-s-1vcpu-2gb": 47,
  "db-s-2vcpu-4gb": 97,
  "db-s-4vcpu-8gb": 197,
  "db-s-6vcpu-16gb": 397,
  "db-s-8vcpu-32gb": 797,
  "db-s-16vcpu-64gb": 1597,
};

/** Worker threads per Solid Queue worker process: `threads: 3` in Rails 8's generated config/queue.yml. */
export const SOLID_QUEUE_WORKER_THREADS = 3;

/**
 * Connections kept free for people and tools: the `postgresql` provider during `pulumi up`, and
 * two sessions (psql, `rails dbconsole`) for an operator looking into an incident.
 */
export const OPERATOR_HEADROOM = 3;

/** One-shot `bin/rails db:prepare`: one thread, at most one connection to each of the four databases. */
export const MIGRATE_CONNECTIONS = DATABASE_URL_NAMES.length;

/**
 * Sets of pools DigitalOcean may hold at once: the current one, and while a change of pool sizes
 * applies, the new one beside it (created first, the old one deleted after web and worker moved).
 */
export const POOL_SETS_AT_ONCE = 2;

/** With pooling, what connects to the server itself: migrate and the operators. */
export const DIRECT_CONNECTIONS = MIGRATE_CONNECTIONS + OPERATOR_HEADROOM;

export type Pooling = "pgbouncer" | "direct";

export interface BudgetInput {
  /** RAILS_MAX_THREADS: Puma's threads, and every Rails connection pool's size. */
  readonly railsMaxThreads: number;
  /** JOB_CONCURRENCY: Solid Queue worker processes. */
  readonly jobConcurrency: number;
  readonly pooling: Pooling;
  /** Connections the cluster allows users (KNOWN_CONNECTION_LIMITS or `database.connectionLimit`). */
  readonly limit: number;
  /** Web containers running at once outside a deploy: `web.count` (one per web host; default 1). */
  readonly webHosts?: number;
}

/** Connections one process may hold, per database. */
export type PerDatabase = Readonly<Record<DatabaseUrlName, number>>;

export interface ProcessDemand {
  readonly process: string;
  /** How many such processes run in the container. */
  readonly count: number;
  readonly perDatabase: PerDatabase;
}

export interface ContainerDemand {
  readonly container: "web" | "worker" | "migrate";
  readonly processes: readonly ProcessDemand[];
  readonly total: number;
  readonly perDatabase: PerDatabase;
}

export interface DeployPhase {
  readonly phase: string;
  /** Containers running at once, with how many of each. */
  readonly running: readonly { readonly container: ContainerDemand["container"]; readonly count: number }[];
  /** Client connections Rails may open in this phase (to PgBouncer or to the server). */
  readonly clients: number;
}

export interface ConnectionBudget {
  readonly input: BudgetInput;
  readonly containers: Readonly<Record<ContainerDemand["container"], ContainerDemand>>;
  readonly phases: readonly DeployPhase[];
  /** The phase with the most client connections. */
  readonly peak: DeployPhase;
  /** PgBouncer pool size per database (backend connections), when pooling: one set. */
  readonly pools?: PerDatabase;
  /**
   * Connections that reach PostgreSQL at the worst moment, headroom included: what must fit in
   * `limit`. Direct: the deploy's peak. Pooled: two sets of pools (a pool change under way) beside
   * migrate and the operators.
   */
  readonly serverConnections: number;
  readonly fits: boolean;
}

const only = (db: DatabaseUrlName, n: number): PerDatabase =>
  Object.fromEntries(DATABASE_URL_NAMES.map((name) => [name, name === db ? n : 0])) as PerDatabase;
const each = (f: (db: DatabaseUrlName) => number): PerDatabase =>
  Object.fromEntries(DATABASE_URL_NAMES.map((name) => [name, f(name)])) as PerDatabase;
const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
const sumPer = (p: PerDatabase): number => sum(DATABASE_URL_NAMES.map((n) => p[n]));

function container(name: ContainerDemand["container"], processes: ProcessDemand[]): ContainerDemand {
  const perDatabase = each((db) => sum(processes.map((p) => p.count * p.perDatabase[db])));
  return { container: name, processes, perDatabase, total: sumPer(perDatabase) };
}

/**
 * Per container, the most connections its processes may hold:
 * - web: one Puma process; each of its RAILS_MAX_THREADS request threads may touch all four
 *   databases (records, cache, enqueued jobs, broadcasts), so every pool may fill. The stock
 *   entrypoint's `db:prepare` at boot is a separate process that exits before Puma starts.
 * - worker (`bin/jobs`): the supervisor, one dispatcher and one scheduler (Rails 8's recurring.yml
 *   has a production task) touch only the queue database: the supervisor and scheduler a main and
 *   a heartbeat thread, the dispatcher a third for concurrency maintenance. Each of the
 *   JOB_CONCURRENCY workers runs 3 job threads that may touch every database, plus polling and
 *   heartbeat on the queue database. Every pool is capped at RAILS_MAX_THREADS.
 * - migrate: `db:prepare`, one connection per database.
 */
export function containerDemands(input: Pick<BudgetInput, "railsMaxThreads" | "jobConcurrency">): ConnectionBudget["containers"] {
  const pool = input.railsMaxThreads;
  const cap = (n: number) => Math.min(pool, n);
  const threads = SOLID_QUEUE_WORKER_THREADS;
  return {
    web: container("web", [{ process: "puma", count: 1, perDatabase: each(() => pool) }]),
    worker: container("worker", [
      { process: "solid_queue supervisor", count: 1, perDatabase: only("QUEUE_DATABASE_URL", cap(2)) },
      { process: "solid_queue dispatcher", count: 1, perDatabase: only("QUEUE_DATABASE_URL", cap(3)) },
      { process: "solid_queue scheduler", count: 1, perDatabase: only("QUEUE_DATABASE_URL", cap(2)) },
      {
        process: "solid_queue worker",
        count: input.jobConcurrency,
        perDatabase: each((db) => (db === "QUEUE_DATABASE_URL" ? cap(threads + 2) : cap(threads))),
      },
    ]),
    migrate: container("migrate", [{ process: "rails db:prepare", count: 1, perDatabase: each(() => 1) }]),
  };
}

/**
 * Splits one set's share (`poolSetBudget`) among four pools, weighted to the primary
 * and the queue (every request and every job poll), never below 1, never above what Rails could
 * ask of that database. Undefined when the four pools cannot get one connection each.
 */
export function poolSizes(available: number, clientsPerDatabase: PerDatabase): PerDatabase | undefined {
  if (available < DATABASE_URL_NAMES.length) return undefined;
  const weights: PerDatabase = { DATABASE_URL: 2, CACHE_DATABASE_URL: 1, QUEUE_DATABASE_URL: 2, CABLE_DATABASE_URL: 1 };
  const totalWeight = sumPer(weights);
  const sizes: Record<DatabaseUrlName, number> = { ...each((db) => Math.max(1, Math.floor((available * weights[db]) / totalWeight))) };
  for (const db of ["DATABASE_URL", "QUEUE_DATABASE_URL", "CACHE_DATABASE_URL", "CABLE_DATABASE_URL"] as const) {
    if (sumPer(sizes) < available) sizes[db] += 1;
  }
  return each((db) => Math.max(1, Math.min(sizes[db], clientsPerDatabase[db])));
}

/** The whole budget: demand per container, per deploy phase, and what reaches PostgreSQL. */
export function connectionBudget(input: BudgetInput): ConnectionBudget {
  const containers = containerDemands(input);
  const phase = (name: string, running: DeployPhase["running"]): DeployPhase => ({
    phase: name,
    running,
    clients: sum(running.map((r) => r.count * containers[r.container].total)),
  });
  // A deploy runs migrate beside the old web and worker; then the new web and worker start
  // before the old ones stop (create-before-delete), after migrate has exited.
  // Every web host does the same at once (web.count); the worker and migrate stay one.
  const webs = input.webHosts ?? 1;
  const phases = [
    phase("steady", [{ container: "web", count: webs }, { container: "worker", count: 1 }]),
    phase("deploy: migrating", [{ container: "web", count: webs }, { container: "worker", count: 1 }, { container: "migrate", count: 1 }]),
    phase("deploy: switching", [{ container: "web", count: 2 * webs }, { container: "worker", count: 2 }]),
  ];
  const peak = phases.reduce((a, b) => (b.clients > a.clients ? b : a));
  if (input.pooling === "direct") {
    const serverConnections = peak.clients + OPERATOR_HEADROOM;
    return { input, containers, phases, peak, serverConnections, fits: serverConnections <= input.limit };
  }
  // Web and worker reach PostgreSQL through the pools; migrate and the operators directly. One
  // set of pools gets half of the rest: the other half is where the next set is created.
  const runtimeClients = each((db) => 2 * (webs * containers.web.perDatabase[db] + containers.worker.perDatabase[db]));
  const pools = poolSizes(poolSetBudget(input.limit), runtimeClients);
  const serverConnections = POOL_SETS_AT_ONCE * (pools === undefined ? DATABASE_URL_NAMES.length : sumPer(pools)) + DIRECT_CONNECTIONS;
  return { input, containers, phases, peak, ...(pools !== undefined ? { pools } : {}), serverConnections, fits: pools !== undefined && serverConnections <= input.limit };
}

/** Server connections one set of pools may hold on a node allowing `limit`. */
export function poolSetBudget(limit: number): number {
  return Math.floor((limit - DIRECT_CONNECTIONS) / POOL_SETS_AT_ONCE);
}

export interface PoolSwitch {
  /** The pools whose size changes: ./pools.ts names (and creates) a new one for each. */
  readonly replaced: readonly DatabaseUrlName[];
  /** DigitalOcean's count while the old ones still exist beside the new: every pool's size. */
  readonly allocated: number;
  /** The worst moment on the server: both sets full, migrate and the operators. */
  readonly serverConnections: number;
  readonly limit: number;
  readonly fits: boolean;
}

/**
 * A change of config on the same cluster, with pooling before and after: do the old pools and the
 * new ones fit the node together (the new limit: the cluster is resized before the pools, which
 * need its id)? A node cannot shrink in place (DigitalOcean: "You cannot resize cluster nodes to
 * smaller sizes"; a smaller one is a new cluster, ./restore.ts), so `after.limit` is at least
 * `before.limit`, and each set is at most half of what its limit leaves: they always fit.
 */
export function poolSwitch(before: BudgetInput, after: BudgetInput): PoolSwitch {
  const old = connectionBudget({ ...before, pooling: "pgbouncer" }).pools;
  const next = connectionBudget({ ...after, pooling: "pgbouncer" }).pools;
  if (old === undefined || next === undefined) throw new Error("poolSwitch: both configs need pools that fit their limit");
  const replaced = DATABASE_URL_NAMES.filter((db) => old[db] !== next[db]);
  const allocated = sumPer(next) + sum(replaced.map((db) => old[db]));
  const serverConnections = allocated + DIRECT_CONNECTIONS;
  return { replaced, allocated, serverConnections, limit: after.limit, fits: serverConnections <= after.limit };
}

/** The smallest known size whose limit fits `needed`, if any. */
export function smallestSizeFor(needed: number): string | undefined {
  return Object.entries(KNOWN_CONNECTION_LIMITS)
    .sort((a, b) => a[1] - b[1])
    .find(([, limit]) => limit >= needed)?.[0];
}

/** One line of breakdown for messages: `web 2×12 + worker 2×19 = 62`. */
export function describePeak(budget: ConnectionBudget): string {
  const parts = budget.peak.running.map((r) => `${r.container} ${r.count}×${budget.containers[r.container].total}`);
  return `${parts.join(" + ")} = ${budget.peak.clients} (${budget.peak.phase})`;
}
