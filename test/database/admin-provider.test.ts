// The postgresql provider's connection limit comes from the connection budget's spare, and every
// grant waits, before its create, until the cluster accepts a connection from this machine.
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { describe, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { loadConfig, type ProductionConfig } from "../../src/config/load";
import { ADMIN_PROVIDER_DATABASES, OPERATOR_SESSIONS, adminProviderConnections } from "../../src/database/admin-connections";
import { KNOWN_CONNECTION_LIMITS, MIGRATE_CONNECTIONS, OPERATOR_HEADROOM, connectionBudget, type Pooling } from "../../src/database/connection-budget";
import { budgetFor } from "../../src/database/connection-check";
import { DATABASE_URL_NAMES } from "../../src/database/rails";
import { createMocks } from "../../src/synth/mocks";
import { readStackFile } from "../../src/synth/stack-file";
import { composeStack } from "../../stacks";
import { PROJECT_DIR, one, synthStack } from "../harness";

const PG_PROVIDER = "pulumi:providers:postgresql";
const GRANT = "postgresql:index/grant:Grant";
const committed = readStackFile(resolve(PROJECT_DIR, "Pulumi.production.yaml"), true).config;
const committedKey = (key: string) => JSON.parse(committed[`docstown:${key}`] ?? "{}") as Record<string, unknown>;

/** The production config as the program loads it (defaults applied), with `docstown:` overrides. */
function productionConfig(overrides: Record<string, string> = {}): ProductionConfig {
  const { config, secretKeys } = readStackFile(resolve(PROJECT_DIR, "Pulumi.production.yaml"), true);
  pulumi.runtime.setAllConfig({ ...config, ...overrides }, secretKeys);
  return loadConfig() as ProductionConfig;
}
const budgetOf = (c: ProductionConfig) => budgetFor({ database: c.database, app: { railsMaxThreads: c.app.railsMaxThreads, jobConcurrency: c.app.jobConcurrency } });

describe("the postgresql provider's maxConnections (the provider's default is 20 per database)", () => {
  test("the production stack sets it to the budget's spare per database, for the committed config and a larger one", async () => {
    for (const database of [{}, { size: "db-s-2vcpu-4gb", pooling: "direct" }]) {
      const overrides = { "docstown:database": JSON.stringify({ ...committedKey("database"), ...database }) };
      const limit = adminProviderConnections(budgetOf(productionConfig(overrides)));
      const result = await synthStack("production", overrides);
      const provider = one(result, PG_PROVIDER);
      assert.equal(Number(provider.inputs["maxConnections"]), limit.perDatabase, JSON.stringify(database));
      assert.ok(limit.perDatabase >= 1);
      assert.ok(limit.worstCase <= limit.spare, `${limit.worstCase} connections at most, within the spare ${limit.spare}`);
    }
  });

  test("the committed 1 GB node with PgBouncer: one connection per database, five in all", () => {
    const limit = adminProviderConnections(budgetOf(productionConfig()));
    assert.equal(limit.perDatabase, 1);
    assert.equal(limit.worstCase, ADMIN_PROVIDER_DATABASES);
    assert.equal(ADMIN_PROVIDER_DATABASES, 1 + DATABASE_URL_NAMES.length, "defaultdb and the four Rails databases");
  });

  test("every known size and pooling that fits: at least 1 per database, the worst case within the spare", () => {
    for (const [size, limitOfSize] of Object.entries(KNOWN_CONNECTION_LIMITS)) {
      for (const pooling of ["pgbouncer", "direct"] as Pooling[]) {
        for (const railsMaxThreads of [1, 3, 5]) {
          const budget = connectionBudget({ railsMaxThreads, jobConcurrency: 1, pooling, limit: limitOfSize });
          if (!budget.fits) continue;
          const limit = adminProviderConnections(budget);
          const unallocated = limitOfSize - budget.serverConnections;
          assert.equal(limit.spare, unallocated + (OPERATOR_HEADROOM - OPERATOR_SESSIONS) + MIGRATE_CONNECTIONS, size);
          assert.equal(limit.perDatabase, Math.floor(limit.spare / ADMIN_PROVIDER_DATABASES), `${size} ${pooling}`);
          assert.ok(limit.perDatabase >= 1 && limit.worstCase <= limit.spare, `${size} ${pooling} ${railsMaxThreads}`);
        }
      }
    }
  });

  test("a budget that does not fit is refused: nothing is spare, and 0 would mean unlimited to the provider", () => {
    const budget = connectionBudget({ railsMaxThreads: 5, jobConcurrency: 4, pooling: "direct", limit: 22 });
    assert.equal(budget.fits, false);
    assert.throws(() => adminProviderConnections(budget), /does not fit .*no connection is spare for the postgresql provider/);
  });
});

describe("the grants wait for the cluster to accept this machine", () => {
  test("each grant has a beforeCreate hook when the engine takes hooks, and none is declared under the SDK's mocks", async () => {
    const { config, secretKeys } = readStackFile(resolve(PROJECT_DIR, "Pulumi.production.yaml"), true);
    const run = async (withHooks: boolean) => {
      pulumi.runtime.setAllConfig(config, secretKeys);
      const mocks = createMocks();
      await pulumi.runtime.setMocks({ newResource: (a) => mocks.newResource(a), call: (a) => mocks.call(a) }, "docstown", "production", false);
      const registered: string[] = [];
      if (withHooks) {
        // What the real engine's monitor offers and the mocks lack (see resourceHooksAvailable).
        const monitor = pulumi.runtime.getMonitor() as unknown as Record<string, unknown>;
        monitor["registerResourceHook"] = (req: { getName(): string }, callback: (err: null, res: object) => void) => {
          registered.push(req.getName());
          callback(null, {});
        };
      }
      const hooks = new Map<string, string[]>();
      await pulumi.runtime.runInPulumiStack(async () => {
        pulumi.runtime.registerStackTransformation((args) => {
          if (args.type === GRANT) hooks.set(args.name, (args.opts.hooks?.beforeCreate ?? []).map((h) => (h as pulumi.ResourceHook).name));
          return undefined;
        });
        return composeStack(loadConfig());
      });
      await (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs?.();
      return { hooks, registered };
    };
    const withHooks = await run(true);
    assert.equal(withHooks.hooks.size, 16);
    for (const [grant, names] of withHooks.hooks) assert.deepEqual(names, ["docstown-docstown-db-cluster-accepts-connections"], grant);
    assert.deepEqual(withHooks.registered, ["docstown-docstown-db-cluster-accepts-connections"], "one hook, registered once");
    const mocked = await run(false);
    assert.equal(mocked.hooks.size, 16);
    for (const names of mocked.hooks.values()) assert.deepEqual(names, []);
  });
});
