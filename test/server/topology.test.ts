// The scale-out rules as plain data: which host runs what, the load balancer's settings, and
// the config that refuses a second web host while web still reads the clone.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { loadBalancerSpec } from "../../src/server/load-balancer";
import { rolesOf, topology } from "../../src/server/topology";
import { CLOUDFLARE_IPV4_RANGES, CLOUDFLARE_IPV6_RANGES } from "../../policies/cloudflare-ranges";
import { SECRET_KEYS } from "../../src/config/secrets";
import { validateConfig } from "../../src/config/validate";
import { production } from "../config/production-config";

const withWeb = (web: Record<string, unknown> | undefined) => {
  const raw: Record<string, string> = { ...production };
  if (web === undefined) delete raw["docstown:web"];
  else raw["docstown:web"] = JSON.stringify(web);
  return validateConfig(raw, new Set(SECRET_KEYS));
};

describe("topology", () => {
  test("count 1: one host runs everything, no load balancer, web mounts the clone", () => {
    assert.deepEqual(topology({ count: 1, readsClone: true }), { volumeHost: "all", webHosts: [], loadBalanced: false, webMountsClone: true });
    assert.deepEqual(topology({ count: 1, readsClone: false }), topology({ count: 1, readsClone: true }), "readsClone changes nothing on one host");
  });

  test("count 3: the volume host runs worker and migrate; three web hosts, keyed web-1..3, load balanced, nothing mounted", () => {
    const t = topology({ count: 3, readsClone: false });
    assert.equal(t.volumeHost, "worker");
    assert.deepEqual(t.webHosts.map((h) => h.key), ["web-1", "web-2", "web-3"]);
    assert.equal(t.loadBalanced, true);
    assert.equal(t.webMountsClone, false);
  });

  test("count 2 while web reads the clone is a programming error here (validation refuses it first)", () => {
    assert.throws(() => topology({ count: 2, readsClone: true }), /readsClone false/);
  });

  test("roles per host: the volume host migrates and runs jobs, a web host serves", () => {
    assert.deepEqual(rolesOf("all"), { migrate: true, worker: true, web: true, proxy: true });
    assert.deepEqual(rolesOf("worker"), { migrate: true, worker: true, web: false, proxy: false });
    assert.deepEqual(rolesOf("web"), { migrate: false, worker: false, web: true, proxy: true });
  });
});

describe("loadBalancerSpec", () => {
  const spec = loadBalancerSpec([...CLOUDFLARE_IPV4_RANGES, ...CLOUDFLARE_IPV6_RANGES]);

  test("443 passes TLS through to the proxies' 443; 80 goes to their 80; the LB does not redirect", () => {
    assert.deepEqual(spec.forwardingRules, [
      { entryProtocol: "https", entryPort: 443, targetProtocol: "https", targetPort: 443, tlsPassthrough: true },
      { entryProtocol: "http", entryPort: 80, targetProtocol: "http", targetPort: 80 },
    ]);
    assert.equal(spec.redirectHttpToHttps, false);
  });

  test("health check: TCP 443 on every droplet, within the provider's ranges", () => {
    assert.equal(spec.healthcheck.protocol, "tcp");
    assert.equal(spec.healthcheck.port, 443);
    for (const k of ["checkIntervalSeconds", "responseTimeoutSeconds"] as const) assert.ok(Number(spec.healthcheck[k]) >= 3);
  });

  test("firewall: Cloudflare's IPv4 ranges only, as cidr:<range>, sorted", () => {
    assert.equal(spec.firewall.allows.length, CLOUDFLARE_IPV4_RANGES.length);
    assert.ok(spec.firewall.allows.every((a) => /^cidr:\d+\.\d+\.\d+\.\d+\/\d+$/.test(a)));
    assert.ok(spec.firewall.allows.includes("cidr:173.245.48.0/20"));
    assert.deepEqual([...spec.firewall.allows].sort(), spec.firewall.allows);
  });

  test("an empty or world-open source list is refused (no allow rule = every address)", () => {
    assert.throws(() => loadBalancerSpec([]), /at least one IPv4 source/);
    assert.throws(() => loadBalancerSpec(["2400:cb00::/32"]), /at least one IPv4 source/);
    assert.throws(() => loadBalancerSpec(["0.0.0.0/0"]), /whole internet/);
  });
});

describe("docstown:web validation", () => {
  test("absent: count 1, reads the clone", () => {
    const r = withWeb(undefined);
    assert.ok(r.ok);
    assert.ok(r.config.target === "digitalocean");
    if (r.config.target === "digitalocean") assert.deepEqual(r.config.web, { count: 1, size: "s-2vcpu-4gb", readsClone: true });
  });

  test("count 2 while web reads the clone (the default): refused under web.readsClone, saying why and what to change", () => {
    const r = withWeb({ count: 2 });
    assert.equal(r.ok, false);
    const errors = r.ok ? [] : r.errors;
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? "", /^docstown:web\.readsClone: is true \(the default\), so web\.count 2 is refused: the repos volume attaches to one droplet/);
    assert.match(errors[0] ?? "", /move every web request that reads \/data\/repos into a job or an endpoint served by the worker, then set web\.readsClone to false/);
  });

  test("count 2 with readsClone false is accepted; count 0 and 11 are refused", () => {
    assert.ok(withWeb({ count: 2, readsClone: false }).ok);
    const zero = withWeb({ count: 0, readsClone: false });
    assert.deepEqual(zero.ok ? [] : zero.errors, ["docstown:web.count: must be at least 1"]);
    const many = withWeb({ count: 11, readsClone: false });
    assert.deepEqual(many.ok ? [] : many.errors, ["docstown:web.count: must be at most 10"]);
  });
});

describe("the connection budget counts every web host", () => {
  const direct = (count: number) => {
    const raw: Record<string, string> = {
      ...production,
      "docstown:database": JSON.stringify({ ...JSON.parse(production["docstown:database"] ?? "{}"), size: "db-s-2vcpu-4gb", pooling: "direct" }),
      "docstown:web": JSON.stringify({ count, readsClone: false }),
    };
    const r = validateConfig(raw, new Set(SECRET_KEYS));
    return r.ok ? [] : r.errors;
  };

  test("direct connections on db-s-2vcpu-4gb (97): one web host fits (89), two do not (113), and the message says web.count", () => {
    assert.deepEqual(direct(1), []);
    const errors = direct(2);
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? "", /^docstown:database\.size: db-s-2vcpu-4gb allows 97 connections, but with database\.pooling direct a deploy may open 113: web 4×12 \+ worker 2×31 = 110 \(deploy: switching\)/);
    assert.match(errors[0] ?? "", /or web\.count \(2\)$/);
  });
});
