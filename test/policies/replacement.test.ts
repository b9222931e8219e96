import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { REPLACEMENT_RULES, carriedInputs, nameReuseProblem, replacementKey, replacementNameReuse } from "../../policies/replacement";
import type { RecordedPolicyResource } from "../../policies/run";
import type { SynthResult } from "../../src/synth/recorder";
import { synthStack } from "../harness";
import { UNKNOWN_NUMBER, callDirectly, find, localGraph, messages, productionGraph, setOpts, setProps } from "./fixtures";

const POOL = "digitalocean:index/databaseConnectionPool:DatabaseConnectionPool";
const POOL_PROPS = { clusterId: "9a8b7c6d", mode: "transaction", size: 6, dbName: "docstown_production", user: "docstown" };
const KEY = replacementKey({ dbName: "docstown_production", mode: "transaction", size: 6, user: "docstown" });

function withPool(name: string, opts: RecordedPolicyResource["opts"] = {}): RecordedPolicyResource[] {
  const graph = productionGraph();
  const like = find(graph, "docstown-db");
  graph.push({
    ...like,
    type: POOL,
    name: "docstown-pool",
    urn: like.urn.replace(/[^:$]+::docstown-db$/, `${POOL}::docstown-pool`),
    props: { ...POOL_PROPS, name },
    opts,
  });
  return graph;
}

describe("replacement-name-reuse on fixtures", () => {
  test("the compliant graphs pass", async () => {
    assert.deepEqual(await messages(replacementNameReuse, productionGraph()), []);
    assert.deepEqual(await messages(replacementNameReuse, localGraph()), []);
  });

  test("a pool under a fixed name, replaced create-first (issue 19.1)", async () => {
    assert.deepEqual(await messages(replacementNameReuse, withPool("docstown_production-pool")), [
      `${POOL} "docstown-pool" combines create-before-replace, the fixed name "docstown_production-pool" and inputs that force a replacement ` +
        "(user, mode, size, dbName): a change of them creates the new one first, under the same name, which DigitalOcean refuses " +
        `(API: "A unique name for the connection pool"; 422 pool name is not available, terraform-provider-digitalocean #925). ` +
        `Let the name carry them (end it with -${KEY}, their replacementKey) or set deleteBeforeReplace without retainOnDelete`,
    ]);
  });

  test("a pool whose name carries the replacement key of its inputs passes; the key of other inputs does not", async () => {
    assert.deepEqual(await messages(replacementNameReuse, withPool(`docstown_production-pool-${KEY}`)), []);
    const stale = withPool(`docstown_production-pool-${KEY}`);
    setProps(stale, "docstown-pool", { size: 7 });
    assert.equal((await messages(replacementNameReuse, stale)).length, 1, "the size changed, the name did not");
  });

  test("a fixed name with delete-before-replace passes, unless retained on delete (which CrossGuard cannot see; synth and tests can)", async () => {
    assert.deepEqual(await messages(replacementNameReuse, withPool("docstown_production-pool", { deleteBeforeReplace: true })), []);
    assert.match(
      nameReuseProblem(POOL, "docstown-pool", { ...POOL_PROPS, name: "docstown_production-pool" }, { deleteBeforeReplace: true, retainOnDelete: true }) ?? "",
      /is delete-before-replace but retained on delete: the old one stays under "docstown_production-pool"/,
    );
  });

  test("a protected resource is never replaced (the engine refuses): the volume passes protected, not unprotected", async () => {
    assert.deepEqual(await messages(replacementNameReuse, productionGraph()), []);
    const found = await messages(replacementNameReuse, setOpts(productionGraph(), "docstown-repos-volume", { protect: false }));
    assert.equal(found.length, 1);
    assert.match(found[0] ?? "", /Volume "docstown-repos-volume" combines create-before-replace, the fixed name "docstown-repos"/);
  });

  test("a unique name that carries the values as parts passes: the VPC's region", async () => {
    const graph = productionGraph();
    assert.deepEqual(await messages(replacementNameReuse, graph), []);
    setProps(graph, "docstown-vpc", { name: "docstown-production" });
    assert.equal((await messages(replacementNameReuse, graph)).length, 1);
  });

  test("an input unknown in a preview: the check waits", async () => {
    const graph = withPool("docstown_production-pool");
    setProps(graph, "docstown-pool", { size: UNKNOWN_NUMBER });
    assert.deepEqual((await callDirectly(replacementNameReuse, find(graph, "docstown-pool"))).reported, []);
  });

  test("a DigitalOcean type the table does not judge is refused; other providers' types are not its business", () => {
    assert.match(nameReuseProblem("digitalocean:index/kubernetesCluster:KubernetesCluster", "k8s", { name: "x" }, {}) ?? "", /has not judged; add it to REPLACEMENT_RULES/);
    assert.equal(nameReuseProblem("docker:index/container:Container", "web", { name: "x" }, {}), undefined);
  });

  test("what the name must carry: the forcing inputs but the name and its scope", () => {
    assert.deepEqual(carriedInputs(REPLACEMENT_RULES[POOL] ?? { forcesReplacement: [] }), ["user", "mode", "size", "dbName"]);
    assert.deepEqual(carriedInputs(REPLACEMENT_RULES["digitalocean:index/databaseDb:DatabaseDb"] ?? { forcesReplacement: [] }), []);
    assert.deepEqual(carriedInputs(REPLACEMENT_RULES["digitalocean:index/droplet:Droplet"] ?? { forcesReplacement: [] }), [], "a droplet's name is not unique");
    assert.equal(replacementKey({ b: 1, a: "x" }), replacementKey({ a: "x", b: 1 }), "key order does not matter");
    assert.notEqual(replacementKey({ size: 6 }), replacementKey({ size: 7 }));
  });
});

describe("the rule over both stacks as the program declares them (options CrossGuard cannot see included)", () => {
  const stacks = ["production", "local"] as const;
  const rendered = new Map<string, Promise<SynthResult>>();
  const render = (stack: (typeof stacks)[number]) => {
    if (!rendered.has(stack)) rendered.set(stack, synthStack(stack));
    return rendered.get(stack) as Promise<SynthResult>;
  };

  for (const stack of stacks) {
    test(`${stack}: no resource combines create-before-replace (or a retained delete-first), a unique name and inputs that would replace it under that name`, async () => {
      const result = await render(stack);
      const problems = result.resources
        .map((r) => nameReuseProblem(r.type, r.name, r.inputs, r.options))
        .filter((p): p is string => p !== undefined);
      assert.deepEqual(problems, []);
    });

    test(`${stack}: every DigitalOcean type it declares is in the table`, async () => {
      const result = await render(stack);
      const types = [...new Set(result.resources.map((r) => r.type).filter((t) => t.startsWith("digitalocean:")))];
      assert.deepEqual(types.filter((t) => REPLACEMENT_RULES[t] === undefined), []);
      if (stack !== "production") return;
      // With web.count 2 production also declares the web tier's load balancer (src/server/web-tier.ts).
      const scaled = await synthStack("production", { "docstown:web": JSON.stringify({ count: 2, readsClone: false }) });
      const all = new Set([...types, ...scaled.resources.map((r) => r.type).filter((t) => t.startsWith("digitalocean:"))]);
      assert.deepEqual([...all].sort(), Object.keys(REPLACEMENT_RULES).sort(), "the table lists exactly what production declares (one web host or several)");
    });
  }

  test("the rule would have caught the pools as they were: `<db>-pool`, retained on delete", async () => {
    const result = await render("production");
    const pool = result.resources.find((r) => r.type === POOL);
    assert.ok(pool);
    const before = { ...pool.inputs, name: `${String(pool.inputs["dbName"])}-pool` };
    assert.match(nameReuseProblem(pool.type, pool.name, before, { retainOnDelete: true }) ?? "", /combines create-before-replace/);
    assert.match(nameReuseProblem(pool.type, pool.name, before, { deleteBeforeReplace: true, retainOnDelete: true }) ?? "", /retained on delete/);
  });
});
