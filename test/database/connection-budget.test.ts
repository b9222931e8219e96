import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import { validateConfig } from "../../src/config/validate";
import {
  KNOWN_CONNECTION_LIMITS, connectionBudget, containerDemands, poolSetBudget, poolSizes, poolSwitch, smallestSizeFor,
} from "../../src/database/connection-budget";
import { connectionProblems } from "../../src/database/connection-check";
import { readStackFile } from "../../src/synth/stack-file";
import { PROJECT_DIR } from "../harness";

/**
 * The connection budget: numbers worked out by hand here (not derived from the module), so a
 * change to the model shows up as a failing line to re-derive and justify.
 */

const sizes = (primary: number, cache: number, queue: number, cable: number) => ({
  DATABASE_URL: primary, CACHE_DATABASE_URL: cache, QUEUE_DATABASE_URL: queue, CABLE_DATABASE_URL: cable,
});

describe("the worst case, per container and per deploy phase", () => {
  test("RAILS_MAX_THREADS=3, JOB_CONCURRENCY=1: web 4 pools × 3; worker 2 + 3 + 2 + (3 + 3 + 3 + 3); migrate 4", () => {
    const c = containerDemands({ railsMaxThreads: 3, jobConcurrency: 1 });
    assert.equal(c.web.total, 12);
    assert.deepEqual(c.web.perDatabase, sizes(3, 3, 3, 3));
    assert.deepEqual(c.worker.processes.map((p) => [p.process, p.count, p.perDatabase.QUEUE_DATABASE_URL]), [
      ["solid_queue supervisor", 1, 2], ["solid_queue dispatcher", 1, 3], ["solid_queue scheduler", 1, 2], ["solid_queue worker", 1, 3],
    ]);
    assert.deepEqual(c.worker.perDatabase, sizes(3, 3, 10, 3));
    assert.equal(c.worker.total, 19);
    assert.equal(c.migrate.total, 4);
  });

  test("every pool is capped at RAILS_MAX_THREADS: a worker's queue pool holds 3 job threads + poll + heartbeat only when it may", () => {
    assert.deepEqual(containerDemands({ railsMaxThreads: 5, jobConcurrency: 1 }).worker.perDatabase, sizes(3, 3, 2 + 3 + 2 + 5, 3));
    assert.deepEqual(containerDemands({ railsMaxThreads: 1, jobConcurrency: 1 }).worker.perDatabase, sizes(1, 1, 4, 1));
    assert.equal(containerDemands({ railsMaxThreads: 3, jobConcurrency: 4 }).worker.total, 2 + 3 + 2 + 4 * 12);
  });

  test("phases: steady, migrate beside the old containers, then two web and two workers while the new ones take over", () => {
    const b = connectionBudget({ railsMaxThreads: 3, jobConcurrency: 1, pooling: "direct", limit: 22 });
    assert.deepEqual(b.phases.map((p) => [p.phase, p.clients]), [["steady", 31], ["deploy: migrating", 35], ["deploy: switching", 62]]);
    assert.equal(b.peak.phase, "deploy: switching");
    assert.equal(b.serverConnections, 65, "62 + 3 for operators");
    assert.equal(b.fits, false);
  });

  test("direct connections on db-s-1vcpu-1gb do not fit even at RAILS_MAX_THREADS=1; db-s-1vcpu-2gb does", () => {
    const one = { railsMaxThreads: 1, jobConcurrency: 1, pooling: "direct" as const };
    assert.equal(connectionBudget({ ...one, limit: 22 }).serverConnections, 2 * 4 + 2 * 7 + 3);
    assert.equal(connectionBudget({ ...one, limit: 22 }).fits, false);
    assert.equal(connectionBudget({ ...one, limit: 47 }).fits, true);
  });
});

describe("PgBouncer pools", () => {
  test("on 22 connections: 4 for migrate and 3 for operators leave 15; one set of pools gets half, 7, split 3/1/2/1", () => {
    const b = connectionBudget({ railsMaxThreads: 3, jobConcurrency: 1, pooling: "pgbouncer", limit: 22 });
    assert.equal(poolSetBudget(22), 7);
    // 7 × 2/6 = 2, 7 × 1/6 = 1: 2/1/2/1 = 6, the remainder to the primary.
    assert.deepEqual(b.pools, sizes(3, 1, 2, 1));
    assert.equal(b.serverConnections, 2 * 7 + 4 + 3, "old and new pools beside migrate and the operators");
    assert.equal(b.fits, true);
    // More threads and workers queue in PgBouncer; the server sees the same 21.
    assert.deepEqual(connectionBudget({ railsMaxThreads: 8, jobConcurrency: 6, pooling: "pgbouncer", limit: 22 }).serverConnections, 21);
  });

  test("a pool never exceeds what Rails could ask of its database; never drops below 1", () => {
    const b = connectionBudget({ railsMaxThreads: 3, jobConcurrency: 1, pooling: "pgbouncer", limit: 97 });
    // (97 - 7) / 2 = 45: 15/7/15/7 plus the remainder to primary = 16/7/15/7; primary and cache capped at 2 × (3 + 3).
    assert.equal(poolSetBudget(97), 45);
    assert.deepEqual(b.pools, sizes(12, 7, 15, 7));
    assert.equal(b.serverConnections, 2 * 41 + 7);
    assert.deepEqual(poolSizes(4, sizes(9, 9, 9, 9)), sizes(1, 1, 1, 1));
    assert.equal(poolSizes(3, sizes(9, 9, 9, 9)), undefined);
  });

  test("db-s-1vcpu-2gb: (47 - 7) / 2 = 20 per set, 7/3/7/3", () => {
    assert.deepEqual(connectionBudget({ railsMaxThreads: 3, jobConcurrency: 2, pooling: "pgbouncer", limit: 47 }).pools, sizes(7, 3, 7, 3));
  });

  test("smallest known size for a need", () => {
    assert.equal(smallestSizeFor(22), "db-s-1vcpu-1gb");
    assert.equal(smallestSizeFor(65), "db-s-2vcpu-4gb");
    assert.equal(smallestSizeFor(113), "db-s-4vcpu-8gb");
    assert.equal(smallestSizeFor(5000), undefined);
  });
});

describe("the refusal, with the keys to change", () => {
  const app = { railsMaxThreads: 3, jobConcurrency: 1 };

  test("direct on the 1 GB node", () => {
    assert.deepEqual(connectionProblems({ database: { size: "db-s-1vcpu-1gb", pooling: "direct" }, app }), [{
      key: "database.size",
      problem: "db-s-1vcpu-1gb allows 22 connections, but with database.pooling direct a deploy may open 65: web 2×12 + worker 2×19 = 62 (deploy: switching), plus 3 for operators; set database.pooling to pgbouncer, database.size to db-s-2vcpu-4gb (97), or lower app.railsMaxThreads (3) or app.jobConcurrency (1)",
    }]);
    assert.deepEqual(connectionProblems({ database: { size: "db-s-2vcpu-4gb", pooling: "direct" }, app }), []);
    assert.deepEqual(connectionProblems({ database: { size: "db-s-1vcpu-1gb", pooling: "pgbouncer" }, app }), []);
  });

  test("a size the program does not know needs database.connectionLimit; a known one refuses it", () => {
    assert.deepEqual(connectionProblems({ database: { size: "db-amd-2vcpu-4gb", pooling: "pgbouncer" }, app }), [{
      key: "database.connectionLimit",
      problem: "is required for database.size db-amd-2vcpu-4gb, whose connection limit the program does not know (it knows db-s-1vcpu-1gb, db-s-1vcpu-2gb, db-s-2vcpu-4gb, db-s-4vcpu-8gb, db-s-6vcpu-16gb, db-s-8vcpu-32gb, db-s-16vcpu-64gb); set DigitalOcean's limit for that size: 25 per GB of RAM, minus 3",
    }]);
    assert.deepEqual(connectionProblems({ database: { size: "db-amd-2vcpu-4gb", pooling: "pgbouncer", connectionLimit: 97 }, app }), []);
    assert.deepEqual(connectionProblems({ database: { size: "db-s-1vcpu-1gb", pooling: "pgbouncer", connectionLimit: 50 }, app }), [{
      key: "database.connectionLimit",
      problem: "must be left unset: db-s-1vcpu-1gb allows 22 connections, which the program knows",
    }]);
    assert.deepEqual(connectionProblems({ database: { size: "db-amd-1vcpu-1gb", pooling: "pgbouncer", connectionLimit: 10 }, app }), [{
      key: "database.connectionLimit",
      problem: "a limit of 10 connections: too few for four PgBouncer pools of at least 1, twice (a change of pool sizes creates the new pools beside the old), beside migrate (4) and operators (3), 15 in all; choose a larger database.size",
    }]);
    assert.equal(connectionProblems({ database: { size: "db-amd-1vcpu-1gb", pooling: "pgbouncer", connectionLimit: 14 }, app }).length, 1);
    assert.deepEqual(connectionProblems({ database: { size: "db-amd-1vcpu-1gb", pooling: "pgbouncer", connectionLimit: 15 }, app }), []);
  });

  const committed = readStackFile(resolve(PROJECT_DIR, "Pulumi.production.yaml"), true);
  const committedKey = (key: string) => JSON.parse(committed.config[`docstown:${key}`] ?? "{}") as Record<string, unknown>;
  const DIRECT_ON_1GB =
    "docstown:database.size: db-s-1vcpu-1gb allows 22 connections, but with database.pooling direct a deploy may open 89: web 2×12 + worker 2×31 = 86 (deploy: switching), plus 3 for operators; set database.pooling to pgbouncer, database.size to db-s-2vcpu-4gb (97), or lower app.railsMaxThreads (3) or app.jobConcurrency (2)";

  test("validateConfig reports it with every other problem", () => {
    const raw = {
      ...committed.config,
      "docstown:database": JSON.stringify({ ...committedKey("database"), pooling: "direct" }),
      "docstown:email": JSON.stringify({ ...committedKey("email"), mailerFrom: "DocsTown <noreply@elsewhere.example>" }),
    };
    const result = validateConfig(raw, new Set(committed.secretKeys));
    assert.equal(result.ok, false);
    const errors = result.ok ? [] : result.errors;
    assert.ok(errors.includes(DIRECT_ON_1GB), errors.join("\n"));
    assert.ok(errors.some((e) => e.startsWith("docstown:email.mailerFrom: ")), "the other problem is reported too");
  });

  test("synth: exit 2, nothing declared, the exact line", () => {
    const text = readFileSync(join(PROJECT_DIR, "Pulumi.production.yaml"), "utf8");
    const changed = text.replace(/(\n {2}docstown:database:\n(?: {4}.*\n)*? {4}nodeCount: 1\n)/, "$1    pooling: direct\n");
    assert.notEqual(changed, text, "the committed config has database.nodeCount to add pooling after");
    const dir = mkdtempSync(join(tmpdir(), "docstown-budget-"));
    try {
      const file = join(dir, "Pulumi.production.yaml");
      writeFileSync(file, changed);
      const run = spawnSync(process.execPath, ["--import", "tsx", "src/synth/cli.ts", "--stack", "production", "--config", file, "--placeholder-secrets"], {
        cwd: PROJECT_DIR, encoding: "utf8", timeout: 120_000,
      });
      assert.equal(run.status, 2, run.stderr);
      assert.equal(run.stdout, "", "nothing rendered: no resource declared");
      assert.deepEqual(run.stderr.trim().split("\n"), [DIRECT_ON_1GB]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a change of pool sizes: the new pools beside the old ones fit the node", () => {
  const limits = Object.values(KNOWN_CONNECTION_LIMITS);

  test("db-s-1vcpu-1gb to db-s-1vcpu-2gb (committed app settings): 7 old + 20 new + 7 direct = 34 of 47", () => {
    const app = { railsMaxThreads: 3, jobConcurrency: 2, pooling: "pgbouncer" as const };
    const s = poolSwitch({ ...app, limit: 22 }, { ...app, limit: 47 });
    assert.deepEqual(s.replaced, ["DATABASE_URL", "CACHE_DATABASE_URL", "QUEUE_DATABASE_URL", "CABLE_DATABASE_URL"]);
    assert.equal(s.allocated, 7 + 20);
    assert.equal(s.serverConnections, 34);
    assert.equal(s.fits, true);
  });

  test("a change that leaves a pool's size replaces only the others, and counts only theirs twice", () => {
    // RAILS_MAX_THREADS 1 on 97: the primary is capped at 2 × (1 + 1) = 4, at 3 at 12 (see above).
    const s = poolSwitch({ railsMaxThreads: 1, jobConcurrency: 1, pooling: "pgbouncer", limit: 97 }, { railsMaxThreads: 3, jobConcurrency: 1, pooling: "pgbouncer", limit: 97 });
    assert.ok(s.replaced.includes("DATABASE_URL"));
    assert.equal(s.fits, true);
    const same = poolSwitch({ railsMaxThreads: 3, jobConcurrency: 1, pooling: "pgbouncer", limit: 22 }, { railsMaxThreads: 5, jobConcurrency: 3, pooling: "pgbouncer", limit: 22 });
    assert.deepEqual(same.replaced, [], "on 22 the caps do not bind: same sizes, same names, nothing replaced");
    assert.equal(same.allocated, 7);
  });

  test("every change the cluster can make in place fits: any known size to one at least as large, threads 1..16, workers 1..8", () => {
    let checked = 0;
    for (const before of limits) {
      for (const after of limits.filter((l) => l >= before)) {
        for (let t0 = 1; t0 <= 16; t0 += 3) for (let j0 = 1; j0 <= 8; j0 += 2) {
          for (let t1 = 1; t1 <= 16; t1 += 3) for (let j1 = 1; j1 <= 8; j1 += 2) {
            const s = poolSwitch({ railsMaxThreads: t0, jobConcurrency: j0, pooling: "pgbouncer", limit: before }, { railsMaxThreads: t1, jobConcurrency: j1, pooling: "pgbouncer", limit: after });
            assert.ok(s.fits, `${before} t${t0} j${j0} -> ${after} t${t1} j${j1}: ${s.serverConnections} > ${after}`);
            checked += 1;
          }
        }
      }
    }
    assert.ok(checked > 10_000);
  });

  test("a smaller node would not fit: DigitalOcean refuses that resize, a smaller node is a new cluster", () => {
    const app = { railsMaxThreads: 3, jobConcurrency: 2, pooling: "pgbouncer" as const };
    assert.equal(poolSwitch({ ...app, limit: 47 }, { ...app, limit: 22 }).fits, false);
  });
});
