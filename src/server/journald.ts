/**
 * The droplet's journal, where the app's containers log (src/app/logs.ts): kept on disk across
 * reboots and releases, within a time and a size the host enforces whatever the app writes.
 *
 * - 30 days, like the weekly image prune's (src/server/cloud-init.ts): a release whose image may
 *   still be rolled back to also still has its logs.
 * - 2 GiB at most, and never the last 4 GiB of the root disk (journald deletes its oldest files
 *   first to keep both); files of 128 MiB, so a vacuum frees space in steps of that size.
 * - Every container's lines reach journald through dockerd, which journald rate-limits as one
 *   service: its default (10 000 lines per 30 s) would drop lines of a busy release without a
 *   trace in `ops logs`, so the burst is raised; the size cap still bounds the disk.
 *
 * The deploy user reads it through the `systemd-journal` group (journalctl without sudo), which
 * `npm run ops -- logs` relies on.
 */

export const JOURNALD_DROP_IN = "/etc/systemd/journald.conf.d/50-docstown.conf";
export const JOURNAL_READER_GROUP = "systemd-journal";

export const JOURNAL_LIMITS = {
  retentionDays: 30,
  maxUse: "2G",
  keepFree: "4G",
  maxFileSize: "128M",
  rateLimitBurst: 50_000,
} as const;

export function journaldDropIn(limits: typeof JOURNAL_LIMITS = JOURNAL_LIMITS): string {
  return [
    "[Journal]",
    "Storage=persistent",
    "Compress=yes",
    `SystemMaxUse=${limits.maxUse}`,
    `SystemKeepFree=${limits.keepFree}`,
    `SystemMaxFileSize=${limits.maxFileSize}`,
    `MaxRetentionSec=${limits.retentionDays}day`,
    "RateLimitIntervalSec=30s",
    `RateLimitBurst=${limits.rateLimitBurst}`,
    "",
  ].join("\n");
}
