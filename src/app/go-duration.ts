/**
 * Durations in the form Go's `time.Duration.String()` prints them (`5s`, `1m30s`, `3m0s`,
 * `1h0m0s`).
 *
 * The Docker provider parses a health check's durations with `time.ParseDuration` and reads
 * them back from the engine with `Duration.String()`, without diff suppression. Any other
 * spelling of the same length (`180s` for `3m0s`) is a diff on every `pulumi up`, and as
 * `healthcheck` replaces its container on change, a replacement of the container each time.
 * So every duration the program sends to the Docker provider is built here.
 */
export function goDuration(seconds: number): string {
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw new Error(`not a whole, non-negative number of seconds: ${seconds}`);
  if (seconds < 60) return `${seconds}s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  // Go omits leading zero units only: hours when under an hour, never minutes or seconds after them.
  return h > 0 ? `${h}h${m}m${s}s` : `${m}m${s}s`;
}
