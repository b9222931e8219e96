// docstown:web under the mocks. count 1 (the committed config, the key absent) must render today's
// graph exactly: compared with a committed snapshot of it, so any change to it shows here, whoever
// makes it. count 2 must add exactly the planned resources and change only the apex record, the
// database's trusted sources and the droplet alerts in place (plus dependency options), replacing
// nothing; the policy pack accepts it, and catches the split's own mistakes.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { before, describe, test } from "node:test";
import { compareGraphs, formatChanges, type GraphDocument } from "../../src/synth/compare";
import { checkPolicies } from "../../src/synth/policies";
import type { RecordedResource, SynthResult } from "../../src/synth/recorder";
import { toJson } from "../../src/synth/render";
import { PROJECT_DIR, synthStack } from "../harness";

const SNAPSHOT = resolve(PROJECT_DIR, "test/synth/fixtures/production-graph.json");
const REGENERATE = "npm run synth -- --stack production --placeholder-secrets --json > test/synth/fixtures/production-graph.json";
const web = (value: Record<string, unknown>) => ({ "docstown:web": JSON.stringify(value) });
const TWO = web({ count: 2, readsClone: false });
const short = (urn: string) => urn.split("::").slice(2).join("::");
const named = (r: SynthResult, name: string) => r.resources.find((x) => x.name === name) as RecordedResource;

let committed: SynthResult;
let two: SynthResult;
before(async () => {
  committed = await synthStack("production");
  two = await synthStack("production", TWO);
});

describe("web.count 1 is today's graph", () => {
  test("the committed config renders exactly the committed snapshot", () => {
    const snapshot = JSON.parse(readFileSync(SNAPSHOT, "utf8")) as GraphDocument;
    const changes = compareGraphs(snapshot, toJson(committed, []));
    assert.equal(
      formatChanges(changes), "no declared change",
      `the production graph differs from test/synth/fixtures/production-graph.json. If every change above is intended, regenerate it: ${REGENERATE}`,
    );
  });

  test("web set to count 1 (any size, readsClone either way) renders the same graph as the key absent", async () => {
    for (const value of [{ count: 1, readsClone: false, size: "s-4vcpu-8gb" }]) {
      const changes = compareGraphs(toJson(committed, []), toJson(await synthStack("production", web(value)), []));
      assert.equal(formatChanges(changes), "no declared change", JSON.stringify(value));
    }
  });
});

describe("web.count 2", () => {
  const WEB_TIER = "docstown:server:WebTier";
  const APP = "docstown:app:RailsApp";
  const ADDED = [
    `${APP}::docstown-web-1`, `${APP}::docstown-web-2`,
    ...[1, 2].flatMap((i) => [
      `${APP}$docker:index/container:Container::docstown-web-${i}-proxy`,
      `${APP}$docker:index/container:Container::docstown-web-${i}-web`,
      `${APP}$docker:index/network:Network::docstown-web-${i}-network`,
      `${APP}$docker:index/remoteImage:RemoteImage::docstown-web-${i}-image`,
      `${APP}$docker:index/remoteImage:RemoteImage::docstown-web-${i}-proxy-image`,
      `${WEB_TIER}$command:remote:Command::docstown-web-${i}-ready`,
      `${WEB_TIER}$digitalocean:index/droplet:Droplet::docstown-web-${i}-droplet`,
      `pulumi:providers:docker::docstown-web-${i}-docker`,
      // operators.sshPublicKeys reaches each web host's authorized_keys in place, as the volume host's
      `docstown:server:AuthorizedKeys::docstown-web-${i}-operators`,
      `docstown:server:AuthorizedKeys$docker:index/container:Container::docstown-web-${i}-operators-authorized-keys`,
      `docstown:server:AuthorizedKeys$docker:index/remoteImage:RemoteImage::docstown-web-${i}-operators-keys-image`,
      `docstown:server:AuthorizedKeys$pulumi:providers:docker::docstown-web-${i}-operators-docker`,
    ]),
    `${WEB_TIER}::docstown-web`,
    `${WEB_TIER}$digitalocean:index/firewall:Firewall::docstown-web-firewall`,
    `${WEB_TIER}$digitalocean:index/loadBalancer:LoadBalancer::docstown-web-lb`,
    `${WEB_TIER}$digitalocean:index/tag:Tag::docstown-web-tag`,
  ].sort();
  // The volume host stops serving: its web, its proxy and the proxy's image go, after the apex moved.
  const REMOVED = [
    `${APP}$docker:index/container:Container::docstown-proxy`,
    `${APP}$docker:index/container:Container::docstown-web`,
    `${APP}$docker:index/remoteImage:RemoteImage::docstown-proxy-image`,
  ];
  const CHANGED: Record<string, string[]> = {
    "docstown:database:ManagedDatabase$digitalocean:index/databaseFirewall:DatabaseFirewall::docstown-docstown-db-trusted-sources": ["rules"],
    "docstown:edge:Edge$cloudflare:index/dnsRecord:DnsRecord::docstown-apex-a": ["content", "options.dependsOn"],
    "docstown:monitoring:Monitoring::docstown": ["options.dependsOn"],
    "docstown:monitoring:Monitoring$digitalocean:index/monitorAlert:MonitorAlert::docstown-droplet-cpu": ["entities"],
    "docstown:monitoring:Monitoring$digitalocean:index/monitorAlert:MonitorAlert::docstown-droplet-disk": ["entities"],
    "docstown:monitoring:Monitoring$digitalocean:index/monitorAlert:MonitorAlert::docstown-droplet-memory": ["entities"],
  };

  test("adds exactly the plan's resources, removes the volume host's web and proxy, changes DNS, trusted sources and alerts in place, replaces nothing", () => {
    const changes = compareGraphs(toJson(committed, []), toJson(two, []));
    const of = (kind: string) => changes.filter((c) => c.kind === kind);
    assert.deepEqual(of("added").map((c) => short(c.urn)).sort(), ADDED, formatChanges(changes));
    assert.deepEqual(of("removed").map((c) => short(c.urn)).sort(), REMOVED);
    assert.deepEqual(Object.fromEntries(of("changed").map((c) => [short(c.urn), c.keys])), CHANGED);
    assert.deepEqual(changes.filter((c) => c.replace !== undefined || c.from !== undefined), [], "nothing replaced, nothing fed by a replacement");
  });

  test("the volume host keeps its names: droplet, volume, attachment, reserved IP and worker are the same resources", () => {
    for (const name of ["docstown-droplet", "docstown-repos-volume", "docstown-repos-attachment", "docstown-ip", "docstown-worker", "docstown-migrate"]) {
      assert.deepEqual(named(two, name).inputs, named(committed, name).inputs, name);
    }
  });

  test("the apex points at the load balancer and waits for both web containers; trust and alerts cover all three droplets", () => {
    const lb = named(two, "docstown-web-lb");
    const apex = named(two, "docstown-apex-a");
    assert.deepEqual(apex.propertyDependencies["content"], [lb.urn]);
    const webs = [named(two, "docstown-web-1-web").urn, named(two, "docstown-web-2-web").urn];
    for (const w of webs) assert.ok(apex.dependencies.includes(w), `apex waits for ${w}`);
    const droplets = ["docstown-droplet", "docstown-web-1-droplet", "docstown-web-2-droplet"].map((n) => named(two, n).urn).sort();
    const trusted = named(two, "docstown-docstown-db-trusted-sources");
    assert.deepEqual([...(trusted.propertyDependencies["rules"] ?? [])].filter((u) => u.includes("Droplet")).sort(), droplets);
    assert.equal((trusted.inputs["rules"] as { type: string }[]).filter((r) => r.type === "droplet").length, 3);
    for (const alert of ["cpu", "memory", "disk"]) {
      const a = named(two, `docstown-droplet-${alert}`);
      assert.equal((a.inputs["entities"] as string[]).length, 3, alert);
      assert.deepEqual([...(a.propertyDependencies["entities"] ?? [])].sort(), droplets);
    }
  });

  test("the load balancer: in the VPC, on the web tag, TLS passthrough, TCP 443 health check, Cloudflare's IPv4 ranges only", () => {
    const lb = named(two, "docstown-web-lb");
    assert.deepEqual(lb.propertyDependencies["vpcUuid"], [named(two, "docstown-vpc").urn]);
    assert.deepEqual(lb.propertyDependencies["dropletTag"], [named(two, "docstown-web-tag").urn]);
    assert.equal((lb.inputs["forwardingRules"] as { tlsPassthrough?: boolean }[])[0]?.tlsPassthrough, true);
    assert.deepEqual(lb.inputs["healthcheck"], { protocol: "tcp", port: 443, checkIntervalSeconds: 10, responseTimeoutSeconds: 5, unhealthyThreshold: 3, healthyThreshold: 3 });
    const allows = (lb.inputs["firewall"] as { allows: string[] }).allows;
    assert.ok(allows.length > 5 && allows.every((a) => a.startsWith("cidr:") && !a.includes("::")));
    const fw = named(two, "docstown-web-firewall");
    const rules = fw.inputs["inboundRules"] as { portRange: string; sourceLoadBalancerUids?: unknown; sourceAddresses?: unknown }[];
    assert.deepEqual(rules.map((r) => [r.portRange, r.sourceLoadBalancerUids !== undefined]), [["22", false], ["80", true], ["443", true]]);
  });

  test("web hosts never mount the volume: no mount in their user-data, no volumes on their web", () => {
    for (const i of [1, 2]) {
      const droplet = named(two, `docstown-web-${i}-droplet`);
      assert.doesNotMatch(String(droplet.inputs["userData"]), /docstown-repos|scsi-0DO_Volume|\/data\/repos/);
      assert.equal(droplet.inputs["size"], "s-2vcpu-4gb");
      assert.equal(named(two, `docstown-web-${i}-web`).inputs["volumes"], undefined);
    }
    assert.match(String(named(two, "docstown-droplet").inputs["userData"]), /scsi-0DO_Volume_docstown-repos/);
  });

  test("migrations once, on the volume host, before any web host switches: each web's image comes from that migrate's result", () => {
    assert.equal(two.resources.filter((r) => r.type === "docker:index/container:Container" && /migrate/.test(r.name)).length, 1);
    const migrate = named(two, "docstown-migrate").urn;
    for (const i of [1, 2]) {
      const w = named(two, `docstown-web-${i}-web`);
      assert.ok(w.propertyDependencies["image"]?.includes(migrate), `web-${i}'s image waits for the migration`);
      assert.ok(w.dependencies.includes(migrate));
      assert.equal(w.provider?.includes(`docstown-web-${i}-docker`), true, "its own Docker provider");
    }
  });

  test("the policy pack accepts count 2 as it accepts count 1 (no mandatory finding)", async () => {
    const mandatory = async (r: SynthResult) => (await checkPolicies(r)).filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policy}: ${v.message}`);
    assert.deepEqual(await mandatory(committed), []);
    assert.deepEqual(await mandatory(two), []);
  });

  test("persistent-volume-presence catches the split's mistakes: a web host mounting the path, the worker on a web host", async () => {
    const broken = (edit: (r: SynthResult) => void): SynthResult => {
      const copy = JSON.parse(JSON.stringify(two)) as SynthResult;
      edit(copy);
      return copy;
    };
    const found = async (r: SynthResult) => (await checkPolicies(r)).filter((v) => v.policy === "persistent-volume-presence").map((v) => v.message);
    const mounting = broken((r) => {
      named(r, "docstown-web-1-web").inputs["volumes"] = [{ hostPath: "/data/repos", containerPath: "/data/repos" }];
    });
    assert.deepEqual(await found(mounting), [
      'container "docstown-web-1-web" (role web) mounts /data/repos on droplet "docstown-web-1-droplet", which has no repos volume; ' +
        "it would read an empty directory on the root disk (set docstown:web.readsClone false only once no web request reads the clone)",
    ]);
    const moved = broken((r) => {
      const worker = named(r, "docstown-worker");
      const web1 = named(r, "docstown-web-1-droplet").urn;
      worker.propertyDependencies["labels"] = (worker.propertyDependencies["labels"] ?? []).map((u) => (u.endsWith("::docstown-droplet") ? web1 : u));
    });
    assert.deepEqual(await found(moved), [
      'container "docstown-worker" (role worker) runs on droplet "docstown-web-1-droplet", which has no repos volume; the worker writes the clone and must run where the volume is',
    ]);
    const noVolume = broken((r) => {
      r.resources = r.resources.filter((x) => x.name !== "docstown-repos-attachment");
    });
    assert.equal((await found(noVolume)).filter((m) => / has no VolumeAttachment;/.test(m)).length, 3, "with no volume host, every droplet is reported");
  });

  test("count 2 while web reads the clone: the program refuses it and declares nothing", async () => {
    await assert.rejects(synthStack("production", web({ count: 2 })), /docstown:web\.readsClone: is true \(the default\), so web\.count 2 is refused/);
  });
});
