import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as rpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { allPolicies } from "../../policies/all";
import type { RecordedPolicyResource } from "../../policies/run";
import { UNKNOWN_STRING, find, productionGraph, setProps, without } from "./fixtures";

/**
 * The pack as `pulumi preview --policy-pack policies` runs it: policies/index.ts started in its
 * own process (its PolicyPack serves CrossGuard's gRPC analyzer), called the way the engine calls
 * it. This proves the policies behave the same behind the real server as in policies/run/.
 */

const POLICIES_DIR = resolve(__dirname, "../../policies");
/** The engine's wire signature of a secret value (sdk/go/common/resource/sig). */
const SECRET = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });

let child: ChildProcess | undefined;
let client: rpc.AnalyzerClient;

function call<Req, Res>(method: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown, req: Req): Promise<Res> {
  return new Promise((ok, fail) => method.call(client, req, (err, res) => (err ? fail(err) : ok(res))));
}

function struct(value: Record<string, unknown>): Struct {
  return Struct.fromJavaScript(value as Parameters<typeof Struct.fromJavaScript>[0]);
}

function options(r: RecordedPolicyResource): pb.AnalyzerResourceOptions {
  const o = new pb.AnalyzerResourceOptions();
  o.setProtect(r.opts.protect === true);
  if (r.parent) o.setParent(r.parent);
  return o;
}

function analyzeRequest(r: RecordedPolicyResource, props = r.props): pb.AnalyzeRequest {
  const req = new pb.AnalyzeRequest();
  req.setType(r.type);
  req.setUrn(r.urn);
  req.setName(r.name);
  req.setProperties(struct(props));
  req.setOptions(options(r));
  return req;
}

function stackRequest(graph: RecordedPolicyResource[]): pb.AnalyzeStackRequest {
  const req = new pb.AnalyzeStackRequest();
  req.setResourcesList(
    graph.map((r) => {
      const res = new pb.AnalyzerResource();
      res.setType(r.type);
      res.setUrn(r.urn);
      res.setName(r.name);
      res.setProperties(struct(r.props));
      res.setOptions(options(r));
      if (r.parent) res.setParent(r.parent);
      res.setDependenciesList(r.dependencies);
      for (const [key, urns] of Object.entries(r.propertyDependencies)) {
        const deps = new pb.AnalyzerPropertyDependencies();
        deps.setUrnsList(urns);
        res.getPropertydependenciesMap().set(key, deps);
      }
      return res;
    }),
  );
  return req;
}

const diagnostics = (res: pb.AnalyzeResponse) =>
  res.getDiagnosticsList().map((d) => ({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: d.getMessage() }));

describe("the pack behind CrossGuard's own gRPC server", () => {
  before(async () => {
    child = spawn(process.execPath, ["--import", "tsx", "index.ts"], { cwd: POLICIES_DIR, stdio: ["ignore", "pipe", "inherit"] });
    const stdout = child.stdout;
    assert.ok(stdout);
    const [chunk] = (await once(stdout, "data")) as [Buffer];
    const port = Number(chunk.toString().trim().split("\n")[0]);
    assert.ok(port > 0, `expected a port, got ${chunk.toString()}`);
    client = new rpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client?.close();
    child?.kill();
  });

  test("it serves every policy of the pack", async () => {
    const info = await call<Empty, pb.AnalyzerInfo>(client.getAnalyzerInfo, new Empty());
    assert.equal(info.getName(), "docstown");
    assert.deepEqual(info.getPoliciesList().map((p) => p.getName()), allPolicies.map((p) => p.name));
  });

  test("a resource: violations reported, and a secret's plain value is what the policy sees", async () => {
    const web = find(productionGraph(), "docstown-web");
    const props = { ...web.props, privileged: true, envs: ["RAILS_ENV=production", SECRET("RAILS_MASTER_KEY=changeme")] };
    const found = diagnostics(await call(client.analyze, analyzeRequest(web, props)));
    assert.deepEqual(found.map((d) => [d.policy, d.message.split("\n")[1]]), [
      ["container-not-privileged", 'container "docstown-web" runs privileged; a privileged container controls the host (CIS Docker 5.5)'],
      [
        "container-secret-env-names",
        'container "docstown-web" env RAILS_MASTER_KEY (envs[1]) holds a placeholder or too-short literal; read the real value with config.requireSecret',
      ],
    ]);
  });

  test("the privilege rules behind the real server: root, all capabilities, seccomp unconfined, a bind of /etc", async () => {
    const web = find(productionGraph(), "docstown-web");
    const props = {
      ...web.props,
      user: "0:0",
      capabilities: { adds: ["ALL"] },
      securityOpts: ["no-new-privileges:true", "seccomp=unconfined"],
      volumes: [{ hostPath: "/etc", containerPath: "/host-etc" }],
    };
    const found = diagnostics(await call(client.analyze, analyzeRequest(web, props)));
    assert.deepEqual(found.map((d) => d.policy), [
      "container-no-sensitive-host-paths",
      "container-capabilities",
      "container-security-options",
      "container-non-root",
    ]);
  });

  test("an unjudged Cloudflare type is refused behind the real server", async () => {
    const apex = find(productionGraph(), "docstown-apex");
    const lb = { ...apex, type: "cloudflare:index/loadBalancer:LoadBalancer", name: "docstown-lb", urn: apex.urn.replace("dnsRecord:DnsRecord::docstown-apex", "loadBalancer:LoadBalancer::docstown-lb") };
    const found = diagnostics(await call(client.analyze, analyzeRequest(lb, { name: "docstown.org" })));
    assert.deepEqual(found.map((d) => d.policy), ["cloudflare-known-resource-types"]);
  });

  test("unknown values: the check is skipped, the policy is not aborted with \"can't run ... during preview\"", async () => {
    const web = find(productionGraph(), "docstown-web");
    const props = { ...web.props, image: UNKNOWN_STRING, healthcheck: { tests: UNKNOWN_STRING }, privileged: true };
    const found = diagnostics(await call(client.analyze, analyzeRequest(web, props)));
    assert.deepEqual(found.map((d) => d.policy), ["container-not-privileged"]);
  });

  test("the stack: the compliant production graph passes; without the attachment it does not", async () => {
    assert.deepEqual(diagnostics(await call(client.analyzeStack, stackRequest(productionGraph()))), []);
    const found = diagnostics(await call(client.analyzeStack, stackRequest(without(productionGraph(), "docstown-repos-attachment"))));
    assert.deepEqual(found.map((d) => [d.policy, d.message.split("\n")[1]]), [
      [
        "persistent-volume-presence",
        `droplet "docstown-server-droplet" has no VolumeAttachment; /data/repos would live on the droplet's root disk and be lost on replacement`,
      ],
    ]);
  });

  test("policy config sent by the engine reaches the policy", async () => {
    const configure = new pb.ConfigureAnalyzerRequest();
    const config = new pb.PolicyConfig();
    config.setEnforcementlevel(pb.EnforcementLevel.MANDATORY);
    config.setProperties(struct({ mountPath: "/data/repos", minVolumeSizeGb: 100 }));
    configure.getPolicyconfigMap().set("persistent-volume-presence", config);
    await call(client.configure, configure);
    const graph = setProps(productionGraph(), "docstown-repos-volume", { size: 50 });
    const found = diagnostics(await call(client.analyzeStack, stackRequest(graph)));
    assert.deepEqual(found.map((d) => d.message.split("\n")[1]), ['volume "docstown-repos-volume" has size 50 GB; it must be at least 100 GB']);
  });
});
