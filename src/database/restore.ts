/**
 * Plain data in, plain data out: this module imports nothing, so the config schema can use
 * `suggestedRestoreName` in its messages without a schema <-> restore import cycle.
 */

/** What this module reads of `docstown:database` (the schema's type fits it). */
export interface RestoreSettings {
  readonly clusterName: string;
  readonly restoreFrom?: { readonly clusterName: string; readonly timestamp?: string | undefined } | undefined;
}

/** The `backupRestore` block of a cluster created from another cluster's backups. */
export interface BackupRestore {
  /** Name of the cluster whose backups are restored. */
  readonly databaseName: string;
  /** Point in time (RFC 3339, UTC) within the source's 7-day window; absent = its latest backup. */
  readonly backupCreatedAt?: string;
}

/**
 * How the configured cluster comes to exist. `created`: empty, and the program creates the four
 * databases and the app user in it. `restored`: a copy of another cluster at a point in time,
 * which already holds the databases, the app user and its tables, so the program reads them
 * instead of creating them (creating them again would fail: they exist).
 */
export type ClusterOrigin = { readonly kind: "created" } | { readonly kind: "restored"; readonly backupRestore: BackupRestore };

/**
 * Pure reading of `database.restoreFrom`. A restore always makes a new cluster: the operator
 * gives it a new `database.clusterName` (the schema refuses the source's name), which also gives
 * it new resource names in the program, so the source is never replaced or touched.
 */
export function clusterOrigin(settings: RestoreSettings): ClusterOrigin {
  const from = settings.restoreFrom;
  if (from === undefined) return { kind: "created" };
  if (from.clusterName === settings.clusterName) {
    throw new Error(`database.clusterName must differ from database.restoreFrom.clusterName (${from.clusterName}): a restore creates a new cluster`);
  }
  const backupRestore: BackupRestore =
    from.timestamp === undefined ? { databaseName: from.clusterName } : { databaseName: from.clusterName, backupCreatedAt: from.timestamp };
  return { kind: "restored", backupRestore };
}

/**
 * A name for the restored cluster the runbook suggests: `<source>-r<yyyymmddhhmm>`, cut to
 * DigitalOcean's 63 characters. Only a suggestion: the name must be chosen once and kept, so it
 * is set in config rather than derived at every run (a "latest" restore has no timestamp).
 */
export function suggestedRestoreName(source: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:T]/g, "").slice(0, 12);
  const suffix = `-r${stamp}`;
  return `${source.replace(/-r\d{12}$/, "").slice(0, 63 - suffix.length)}${suffix}`;
}
