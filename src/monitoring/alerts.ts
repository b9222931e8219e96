import type { MonitoringSettings } from "../config/schema";

/** A DigitalOcean metric alert, before it is bound to the droplet or cluster it watches. */
export interface MetricAlertSpec {
  readonly role: string;
  readonly target: "droplet" | "database";
  readonly type: string;
  readonly description: string;
  readonly value: number;
  readonly window: "5m" | "10m" | "30m" | "1h";
}

/** An uptime alert on the `/up` check. */
export interface UptimeAlertSpec {
  readonly role: string;
  readonly type: "down" | "latency" | "ssl_expiry";
  readonly comparison?: "greater_than" | "less_than";
  readonly threshold?: number;
  readonly period: "2m" | "3m" | "5m" | "10m";
}

/**
 * The alerts the brief asks for (CPU, memory and disk on the droplet and on the database; down,
 * latency and certificate expiry on the public URL), with thresholds from config. Disk on the
 * droplet includes the repos volume: the DO agent reports every mounted filesystem.
 */
export function metricAlerts(m: MonitoringSettings): MetricAlertSpec[] {
  return [
    { role: "droplet-cpu", target: "droplet", type: "v1/insights/droplet/cpu", description: `Droplet CPU above ${m.cpuPercent}%`, value: m.cpuPercent, window: "10m" },
    { role: "droplet-memory", target: "droplet", type: "v1/insights/droplet/memory_utilization_percent", description: `Droplet memory above ${m.memoryPercent}%`, value: m.memoryPercent, window: "10m" },
    { role: "droplet-disk", target: "droplet", type: "v1/insights/droplet/disk_utilization_percent", description: `Droplet disk (root or /data/repos) above ${m.diskPercent}%`, value: m.diskPercent, window: "5m" },
    { role: "database-cpu", target: "database", type: "v1/dbaas/alerts/cpu_alerts", description: `Database CPU above ${m.cpuPercent}%`, value: m.cpuPercent, window: "10m" },
    { role: "database-memory", target: "database", type: "v1/dbaas/alerts/memory_utilization_alerts", description: `Database memory above ${m.memoryPercent}%`, value: m.memoryPercent, window: "10m" },
    { role: "database-disk", target: "database", type: "v1/dbaas/alerts/disk_utilization_alerts", description: `Database disk above ${m.diskPercent}%`, value: m.diskPercent, window: "5m" },
  ];
}

export function uptimeAlerts(m: MonitoringSettings): UptimeAlertSpec[] {
  return [
    { role: "down", type: "down", period: "2m" },
    { role: "latency", type: "latency", comparison: "greater_than", threshold: m.latencyMs, period: "5m" },
    { role: "ssl-expiry", type: "ssl_expiry", comparison: "less_than", threshold: m.sslExpiryDays, period: "10m" },
  ];
}
