import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { productionSchema } from "../../src/config/schema";
import { Monitoring } from "../../src/monitoring/monitoring";
import { byType, one, recordProgram, synthStack } from "../harness";

const settings = productionSchema.shape.monitoring.parse({ alertEmails: ["ops@docstown.org"], cpuPercent: 80 });

function render(slack?: string) {
  return recordProgram(() => {
    new Monitoring("docstown", {
      domain: "docstown.org", settings, dropletIds: ["123456789"], databaseClusterId: "c0ffee00-0000-4000-a000-000000000000",
      // Plain on purpose: the component must make it secret itself.
      slackWebhookUrl: slack,
    });
    return {};
  });
}

describe("monitoring", () => {
  test("the uptime check probes https://<domain>/up from several regions", async () => {
    const check = one(await render(), "digitalocean:index/uptimeCheck:UptimeCheck");
    assert.equal(check.inputs["target"], "https://docstown.org/up");
    assert.equal(check.inputs["type"], "https");
    assert.deepEqual(check.inputs["regions"], ["us_east", "eu_west", "se_asia"]);
  });

  test("down, latency and certificate-expiry alerts go to the configured emails", async () => {
    const result = await render();
    const check = one(result, "digitalocean:index/uptimeCheck:UptimeCheck");
    const alerts = byType(result, "digitalocean:index/uptimeAlert:UptimeAlert");
    assert.deepEqual(alerts.map((a) => [a.inputs["type"], a.inputs["comparison"] ?? null, a.inputs["threshold"] ?? null]).sort(), [
      ["down", null, null], ["latency", "greater_than", 2000], ["ssl_expiry", "less_than", 14],
    ]);
    for (const a of alerts) {
      assert.deepEqual(a.propertyDependencies["checkId"], [check.urn]);
      assert.deepEqual(a.inputs["notifications"], [{ emails: ["ops@docstown.org"], slacks: [] }]);
    }
  });

  test("CPU, memory and disk alerts watch the droplet and the database with config thresholds", async () => {
    const alerts = byType(await render(), "digitalocean:index/monitorAlert:MonitorAlert");
    const summary = alerts.map((a) => [a.inputs["type"], a.inputs["value"], (a.inputs["entities"] as string[])[0]]).sort();
    assert.deepEqual(summary, [
      ["v1/dbaas/alerts/cpu_alerts", 80, "c0ffee00-0000-4000-a000-000000000000"],
      ["v1/dbaas/alerts/disk_utilization_alerts", 85, "c0ffee00-0000-4000-a000-000000000000"],
      ["v1/dbaas/alerts/memory_utilization_alerts", 90, "c0ffee00-0000-4000-a000-000000000000"],
      ["v1/insights/droplet/cpu", 80, "123456789"],
      ["v1/insights/droplet/disk_utilization_percent", 85, "123456789"],
      ["v1/insights/droplet/memory_utilization_percent", 90, "123456789"],
    ]);
    for (const a of alerts) assert.equal(a.inputs["compare"], "GreaterThan");
  });

  test("a Slack webhook is added to every alert and stays secret", async () => {
    const result = await render("https://hooks.slack.com/services/T0/B0/xyz");
    const alerts = [...byType(result, "digitalocean:index/uptimeAlert:UptimeAlert"), ...byType(result, "digitalocean:index/monitorAlert:MonitorAlert")];
    assert.equal(alerts.length, 9);
    for (const a of alerts) {
      const text = JSON.stringify(a.inputs);
      assert.ok(text.includes('"channel":"#ops"'), a.name);
      const path = a.type.endsWith("UptimeAlert") ? "notifications[0].slacks[0].url" : "alerts.slacks[0].url";
      assert.ok(a.secretPaths.includes(path), `${a.name} must carry the webhook as a secret at ${path}: ${a.secretPaths.join(",")}`);
    }
  });
});

test("in production the alerts watch this stack's droplet and database cluster", async () => {
  const r = await synthStack("production");
  const droplet = one(r, "digitalocean:index/droplet:Droplet");
  const cluster = one(r, "digitalocean:index/databaseCluster:DatabaseCluster");
  const alerts = byType(r, "digitalocean:index/monitorAlert:MonitorAlert");
  assert.equal(alerts.length, 6);
  for (const a of alerts) {
    const expected = String(a.inputs["type"]).includes("/droplet/") ? droplet : cluster;
    assert.deepEqual(a.propertyDependencies["entities"], [expected.urn], a.name);
    assert.deepEqual(a.inputs["entities"], [expected.id], a.name);
  }
});
