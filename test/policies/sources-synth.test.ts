import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { checkPolicies, policyConfigFor } from "../../src/synth/policies";
import type { RecordedResource } from "../../src/synth/recorder";
import { type SynthRender, synthesize } from "../../src/synth/synthesize";
import { PROJECT_DIR } from "../harness";

const render = (overrides: Record<string, string> = {}) => synthesize({ stack: "production", placeholderSecrets: true, cwd: PROJECT_DIR, overrides });

/**
 * The source rules on the graph the program renders: the pack sees the firewall and database
 * firewall exactly as declared, with the limits the stack config sets (src/synth/policies.ts).
 */

const FIREWALL = "digitalocean:index/firewall:Firewall";
const DB_FIREWALL = "digitalocean:index/databaseFirewall:DatabaseFirewall";

type InboundRule = { protocol: string; portRange?: string; sourceAddresses?: string[] };

function edit(result: SynthRender, type: string, change: (r: RecordedResource) => void): SynthRender {
  const resources = structuredClone(result.resources);
  resources.filter((r) => r.type === type).forEach(change);
  return { ...result, resources };
}

const setSources = (port: string, sources: string[]) => (r: RecordedResource) => {
  for (const rule of r.inputs["inboundRules"] as InboundRule[]) if (rule.portRange === port) rule.sourceAddresses = sources;
};

async function mandatory(result: SynthRender, policy: string): Promise<string[]> {
  const violations = await checkPolicies(result, policyConfigFor(result.config));
  return violations.filter((v) => v.enforcementLevel === "mandatory" && v.policy === policy).map((v) => v.message);
}

describe("source rules on the rendered production graph", () => {
  let production: SynthRender;
  before(async () => {
    production = await render();
  });

  test("as rendered: Cloudflare's ranges on 80/443 (from the provider) lie inside the pack's copy", async () => {
    assert.deepEqual(await mandatory(production, "firewall-inbound-restricted"), []);
    assert.deepEqual(await mandatory(production, "database-firewall-restricted"), []);
  });

  test("0.0.0.0/1 + 128.0.0.0/1 on SSH, on 443, and as database trusted sources are mandatory violations", async () => {
    const halves = ["0.0.0.0/1", "128.0.0.0/1"];
    const ssh = await mandatory(edit(production, FIREWALL, setSources("22", halves)), "firewall-inbound-restricted");
    assert.equal(ssh.length, 2);
    assert.match(ssh[0] ?? "", /inbound rule tcp 22 allows SSH from 0\.0\.0\.0\/1, wider than \/16/);
    const web = await mandatory(edit(production, FIREWALL, setSources("443", halves)), "firewall-inbound-restricted");
    assert.deepEqual(web.map((m) => m.replace(/^firewall "[^"]+" /, "")), [
      "inbound rule tcp 443 admits 0.0.0.0/1, 128.0.0.0/1, which are not inside Cloudflare's published ranges; only Cloudflare's edge may reach 80/443",
    ]);
    const db = await mandatory(
      edit(production, DB_FIREWALL, (r) => {
        r.inputs["rules"] = [...(r.inputs["rules"] as unknown[]), ...halves.map((value) => ({ type: "ip_addr", value }))];
      }),
      "database-firewall-restricted",
    );
    assert.equal(db.length, 2);
    assert.match(db[1] ?? "", /has rule ip_addr 128\.0\.0\.0\/1, wider than \/16/);
  });

  test("0.0.0.0/00 on SSH is a mandatory violation", async () => {
    const messages = await mandatory(edit(production, FIREWALL, setSources("22", ["0.0.0.0/00"])), "firewall-inbound-restricted");
    assert.equal(messages.length, 1);
    assert.match(messages[0] ?? "", /has source "0\.0\.0\.0\/00", which the pack cannot read/);
  });

  test("the stack's operators.broadestPrefix reaches the pack: a /12 allowed in config passes the pack too", async () => {
    const wide = await render({
      "docstown:operators": JSON.stringify({
        ...(production.config.target === "digitalocean" ? production.config.operators : {}),
        broadestPrefix: { ipv4: 12, ipv6: 48 },
        sshCidrs: ["10.0.0.0/12"],
        databaseCidrs: ["10.16.0.0/12"],
      }),
    });
    assert.deepEqual(await mandatory(wide, "firewall-inbound-restricted"), []);
    assert.deepEqual(await mandatory(wide, "database-firewall-restricted"), []);
  });
});
