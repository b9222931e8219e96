import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { MonitoringSettings } from "../config/schema";
import { metricAlerts, uptimeAlerts } from "./alerts";

export interface MonitoringArgs {
  /** Public hostname; the check probes `https://<domain>/up`. */
  readonly domain: string;
  readonly settings: MonitoringSettings;
  /** Every droplet to watch (CPU, memory, disk including the repos volume): each droplet alert covers them all. */
  readonly dropletIds: readonly pulumi.Input<string>[];
  /** The managed database cluster to watch. */
  readonly databaseClusterId: pulumi.Input<string>;
  /** Slack incoming webhook (secret); alerts also go there when set. */
  readonly slackWebhookUrl?: pulumi.Input<string>;
}

/** Outside-in uptime check on `/up` and metric alerts on the droplet and the database. */
export class Monitoring extends pulumi.ComponentResource {
  readonly uptimeCheckId: pulumi.Output<string>;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("docstown:monitoring:Monitoring", name, {}, opts);
    const s = args.settings;
    const slacks = args.slackWebhookUrl === undefined ? [] : [{ channel: s.slackChannel, url: pulumi.secret(args.slackWebhookUrl) }];

    const check = new digitalocean.UptimeCheck(`${name}-up`, {
      name: `${name}-up`,
      target: `https://${args.domain}/up`,
      type: "https",
      regions: s.uptimeRegions,
      enabled: true,
    }, { parent: this });

    for (const alert of uptimeAlerts(s)) {
      new digitalocean.UptimeAlert(`${name}-up-${alert.role}`, {
        checkId: check.id,
        name: `${args.domain} ${alert.role}`,
        type: alert.type,
        comparison: alert.comparison,
        threshold: alert.threshold,
        period: alert.period,
        notifications: [{ emails: s.alertEmails, slacks }],
      }, { parent: this });
    }

    for (const alert of metricAlerts(s)) {
      new digitalocean.MonitorAlert(`${name}-${alert.role}`, {
        type: alert.type,
        description: alert.description,
        compare: "GreaterThan",
        value: alert.value,
        window: alert.window,
        enabled: true,
        entities: alert.target === "droplet" ? [...args.dropletIds] : [args.databaseClusterId],
        alerts: { emails: s.alertEmails, slacks },
      }, { parent: this });
    }

    this.uptimeCheckId = check.id;
    this.registerOutputs({ uptimeCheckId: this.uptimeCheckId });
  }
}
