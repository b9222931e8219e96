// The demo app binary (demo/rails) against a real PostgreSQL: what the Rails runtime contract
// asks of bin/rails db:prepare, ./bin/thrust ./bin/rails server and bin/jobs, run on the host
// so each behaviour can be timed and signalled precisely. The image around it is tested in
// demo-images.engine.test.ts.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { request } from "node:http";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ThrowawayCluster, findPgBin, pgSkipReason, type Login } from "../database/pg-cluster";
import { buildDemoBinary, freePort, goMissing, skipUnlessCi, sleep, waitFor } from "./support";

const skip = skipUnlessCi(goMissing(), pgSkipReason());

const APP: Login = { user: "docstown", password: "demo-pass-1" };
const ROLES = { DATABASE_URL: "primary", CACHE_DATABASE_URL: "cache", QUEUE_DATABASE_URL: "queue", CABLE_DATABASE_URL: "cable" } as const;

interface Http { status: number; body: string; location?: string }

function get(port: number, path: string, options: { method?: string; body?: string; https?: boolean } = {}): Promise<Http> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: "127.0.0.1", port, path, method: options.method ?? "GET", timeout: 10000,
      headers: options.https === false ? {} : { "X-Forwarded-Proto": "https" },
    }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, ...(res.headers.location !== undefined ? { location: res.headers.location } : {}) }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(options.body);
  });
}

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => { s.destroy(); resolve(false); });
    s.once("error", () => resolve(true));
  });

describe("demo binary against a real PostgreSQL", { skip }, () => {
  let cluster: ThrowawayCluster;
  let dir: string;
  let bin: string;
  let failingBin: string;
  const children = new Set<ChildProcess>();

  const urls = (prefix: string, port = cluster.port): Record<keyof typeof ROLES, string> => {
    const url = (db: string) => `postgresql://${APP.user}:${APP.password}@127.0.0.1:${port}/${db}?sslmode=disable`;
    return {
      DATABASE_URL: url(prefix), CACHE_DATABASE_URL: url(`${prefix}_cache`),
      QUEUE_DATABASE_URL: url(`${prefix}_queue`), CABLE_DATABASE_URL: url(`${prefix}_cable`),
    };
  };
  /** A fresh primary database owned by the app's login, as POSTGRES_DB creates it in the local stack. */
  const primary = (name: string) => cluster.must(cluster.superuser, "postgres", `CREATE DATABASE ${name} OWNER ${APP.user};`);
  const databases = () => cluster.must(cluster.superuser, "postgres", "SELECT datname FROM pg_database ORDER BY 1;").split("\n");

  const run = (binDir: string, args: string[], env: Record<string, string>) =>
    spawnSync(join(binDir, args[0] as string), args.slice(1), {
      cwd: join(binDir, ".."), encoding: "utf8", timeout: 60000, env: { PATH: process.env["PATH"] ?? "", ...env },
    });

  const start = (args: string[], env: Record<string, string>) => {
    const child = spawn(join(bin, args[0] as string), args.slice(1), {
      cwd: dir, env: { PATH: process.env["PATH"] ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
    children.add(child);
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => { children.delete(child); resolve(code); }));
    return { child, exited, output: () => output };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "docstown-demo-bin-"));
    bin = buildDemoBinary(dir, { version: "7" });
    failingBin = buildDemoBinary(join(dir, "failing"), { version: "8", failMigration: true });
    cluster = await ThrowawayCluster.start();
    cluster.must(cluster.superuser, "postgres", `CREATE ROLE ${APP.user} LOGIN CREATEDB PASSWORD '${APP.password}';`);
  });

  after(() => {
    for (const c of children) c.kill("SIGKILL");
    cluster?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test("db:prepare creates the missing databases and a marker table in each of the four, and exits 0 (twice)", () => {
    primary("prep");
    for (let i = 0; i < 2; i++) {
      const r = run(bin, ["rails", "db:prepare"], urls("prep"));
      assert.equal(r.status, 0, r.stderr);
    }
    assert.ok(["prep", "prep_cable", "prep_cache", "prep_queue"].every((d) => databases().includes(d)), databases().join(","));
    for (const [name, role] of Object.entries(ROLES)) {
      const db = name === "DATABASE_URL" ? "prep" : `prep_${role}`;
      assert.equal(cluster.must(APP, db, "SELECT role || ' ' || version FROM docstown_demo_marker;"), `${role} 7`, `marker in ${db}`);
    }
  });

  test("the failing-migration build exits 1 from db:prepare and creates nothing", () => {
    primary("failprep");
    const r = run(failingBin, ["rails", "db:prepare"], urls("failprep"));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /fails on purpose/);
    assert.equal(cluster.must(APP, "failprep", "SELECT count(*) FROM pg_tables WHERE tablename = 'docstown_demo_marker';"), "0");
    assert.ok(!databases().includes("failprep_queue"));
  });

  test("web: /up answers only after the boot delay and once the primary database answers", async () => {
    primary("boot");
    assert.equal(run(bin, ["rails", "db:prepare"], urls("boot")).status, 0);
    // A gate in front of PostgreSQL: closed (nothing listening) until the test opens it.
    const gatePort = await freePort();
    const gate: Server = createServer((client) => {
      const upstream = connect(cluster.port, "127.0.0.1");
      client.pipe(upstream).pipe(client);
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
    });
    const [httpPort, pumaPort] = await Promise.all([freePort(), freePort()]);
    const started = Date.now();
    const web = start(["thrust", "./bin/rails", "server"], {
      ...urls("boot", gatePort), HTTP_PORT: String(httpPort), TARGET_PORT: String(pumaPort), DEMO_BOOT_SECONDS: "1", REPOS_PATH: join(dir, "repos-boot"),
    });
    try {
      await sleep(2500);
      assert.ok(await refused(pumaPort), "nothing listens on Puma's port while the database does not answer");
      const viaThruster = await get(httpPort, "/up", { https: false });
      assert.equal(viaThruster.status, 502, "Thruster is up, but has nothing to pass /up to");
      await new Promise<void>((resolve) => gate.listen(gatePort, "127.0.0.1", resolve));
      const opened = Date.now();
      const up = await waitFor("/up 200", 10000, async () => ((await get(pumaPort, "/up", { https: false }).catch(() => undefined))?.status === 200 ? Date.now() : undefined));
      assert.ok(up - started >= 1000, "not before the boot delay");
      assert.ok(up >= opened, "not before the database answers");
      assert.equal((await get(httpPort, "/up", { https: false })).body, "up", "and through Thruster on HTTP_PORT");
    } finally {
      web.child.kill("SIGTERM");
      await web.exited;
      gate.close();
    }
  });

  test("the page writes to and reads from the repos mount and shows the version; plain HTTP is redirected", async () => {
    primary("page");
    assert.equal(run(bin, ["rails", "db:prepare"], urls("page")).status, 0);
    const repos = join(dir, "repos-page");
    mkdirSync(join(repos, "docstown-demo"), { recursive: true });
    writeFileSync(join(repos, "docstown-demo", "visits.log"), "2026-01-01T00:00:00Z 6 an-older-container\n");
    const [httpPort, pumaPort] = await Promise.all([freePort(), freePort()]);
    const web = start(["thrust", "./bin/rails", "server"], { ...urls("page"), HTTP_PORT: String(httpPort), TARGET_PORT: String(pumaPort), REPOS_PATH: repos });
    try {
      await waitFor("web", 10000, async () => ((await get(pumaPort, "/up").catch(() => undefined))?.status === 200 ? true : undefined));
      const page = await get(httpPort, "/");
      assert.equal(page.status, 200);
      assert.match(page.body, /id="version">7</);
      assert.match(page.body, /id="visits">2</);
      assert.match(page.body, /id="first">2026-01-01T00:00:00Z 6 an-older-container</, "reads what an older version wrote");
      assert.equal(readFileSync(join(repos, "docstown-demo", "visits.log"), "utf8").trim().split("\n").length, 2);
      assert.equal((await get(httpPort, "/files/note.txt", { method: "PUT", body: "kept across deploys" })).status, 201);
      assert.equal(readFileSync(join(repos, "docstown-demo", "files", "note.txt"), "utf8"), "kept across deploys");
      assert.equal((await get(pumaPort, "/files/note.txt")).body, "kept across deploys");
      assert.equal((await get(pumaPort, "/version")).body.trim(), "7");
      const plain = await get(pumaPort, "/version", { https: false });
      assert.equal(plain.status, 301, "force_ssl: a request that did not come over HTTPS is redirected");
      assert.equal(plain.location, `https://127.0.0.1:${pumaPort}/version`);
    } finally {
      web.child.kill("SIGTERM");
      await web.exited;
    }
  });

  test("web drains: a request in flight when SIGTERM arrives completes, then the process exits 0", async () => {
    primary("drain");
    assert.equal(run(bin, ["rails", "db:prepare"], urls("drain")).status, 0);
    const [httpPort, pumaPort] = await Promise.all([freePort(), freePort()]);
    const web = start(["thrust", "./bin/rails", "server"], { ...urls("drain"), HTTP_PORT: String(httpPort), TARGET_PORT: String(pumaPort), REPOS_PATH: join(dir, "repos-drain") });
    await waitFor("web", 10000, async () => ((await get(pumaPort, "/up").catch(() => undefined))?.status === 200 ? true : undefined));
    const inFlight = get(httpPort, "/slow?ms=2000");
    await sleep(400);
    const signalled = Date.now();
    web.child.kill("SIGTERM");
    const answer = await inFlight;
    assert.equal(answer.status, 200);
    assert.match(answer.body, /slept 2000ms in 7/);
    assert.equal(await web.exited, 0, web.output());
    assert.ok(Date.now() - signalled >= 1400, "it waited for the request rather than cutting it");
    assert.ok(await refused(pumaPort));
    assert.match(web.output(), /draining/);
  });

  test("jobs: two supervisors with two workers each claim every row exactly once and write under the repos mount", async () => {
    primary("jobs");
    assert.equal(run(bin, ["rails", "db:prepare"], urls("jobs")).status, 0);
    const ids = cluster.must(APP, "jobs_queue", "INSERT INTO docstown_demo_jobs (payload, seconds) SELECT 'job ' || g, 0.3 FROM generate_series(1, 12) g RETURNING id;").split("\n");
    const repos = join(dir, "repos-jobs");
    const env = { ...urls("jobs"), REPOS_PATH: repos, JOB_CONCURRENCY: "2" };
    const supervisors = [start(["jobs"], env), start(["jobs"], env)];
    try {
      await waitFor("all jobs finished", 20000, () =>
        cluster.must(APP, "jobs_queue", "SELECT count(*) FROM docstown_demo_jobs WHERE finished_at IS NULL;") === "0" ? true : undefined);
      const runs = supervisors.map((s) => s.output()).join("").match(/running job \d+/g) ?? [];
      assert.deepEqual([...runs].sort(), ids.map((id) => `running job ${id}`).sort(), "each job ran once");
      const claimers = cluster.must(APP, "jobs_queue", "SELECT count(DISTINCT split_part(claimed_by, '/', 2)) FROM docstown_demo_jobs;");
      assert.equal(claimers, "2", "both supervisors took jobs");
      for (const id of ids) assert.match(readFileSync(join(repos, "docstown-demo", "jobs", `${id}.txt`), "utf8"), /^job \d+\nprocessed by 7 /);
    } finally {
      for (const s of supervisors) s.child.kill("SIGTERM");
      await Promise.all(supervisors.map((s) => s.exited));
    }
  });

  test("jobs: a row locked by someone else is skipped, not waited for (SKIP LOCKED)", async () => {
    primary("skip");
    assert.equal(run(bin, ["rails", "db:prepare"], urls("skip")).status, 0);
    const [locked, free] = cluster.must(APP, "skip_queue", "INSERT INTO docstown_demo_jobs (payload) VALUES ('locked'), ('free') RETURNING id;").split("\n");
    // Another session holds the first row for 8 s, as a worker busy claiming it would.
    const holder = spawn(join(findPgBin() as string, "psql"), ["-X", "-q", "-h", "127.0.0.1", "-p", String(cluster.port), "-U", APP.user, "-d", "skip_queue", "-c",
      `BEGIN; SELECT id FROM docstown_demo_jobs WHERE id = ${locked} FOR UPDATE; SELECT pg_sleep(8); COMMIT;`], { env: { ...process.env, PGPASSWORD: APP.password }, stdio: "ignore" });
    children.add(holder);
    const held = new Promise<void>((resolve) => holder.on("exit", () => { children.delete(holder); resolve(); }));
    await waitFor("the row lock taken", 5000, () =>
      cluster.must(cluster.superuser, "postgres", "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.query LIKE '%pg_sleep(8)%' AND l.mode = 'RowShareLock';") !== "0" ? true : undefined);
    const worker = start(["jobs"], { ...urls("skip"), REPOS_PATH: join(dir, "repos-skip"), JOB_CONCURRENCY: "1" });
    try {
      await waitFor("the free job done while the other row is locked", 4000, () =>
        cluster.must(APP, "skip_queue", `SELECT finished_at IS NOT NULL FROM docstown_demo_jobs WHERE id = ${free};`) === "t" ? true : undefined);
      assert.equal(cluster.must(APP, "skip_queue", `SELECT claimed_at IS NULL FROM docstown_demo_jobs WHERE id = ${locked};`), "t");
    } finally {
      worker.child.kill("SIGTERM");
      await worker.exited;
      holder.kill("SIGTERM");
      await held;
    }
  });

  test("jobs: SIGTERM finishes the job in hand, claims no other, and exits 0", async () => {
    primary("stop");
    assert.equal(run(bin, ["rails", "db:prepare"], urls("stop")).status, 0);
    const [slow, next] = cluster.must(APP, "stop_queue", "INSERT INTO docstown_demo_jobs (payload, seconds) VALUES ('slow', 2), ('next', 0) RETURNING id;").split("\n");
    const repos = join(dir, "repos-stop");
    const worker = start(["jobs"], { ...urls("stop"), REPOS_PATH: repos, JOB_CONCURRENCY: "1" });
    await waitFor("the slow job claimed", 10000, () =>
      cluster.must(APP, "stop_queue", `SELECT claimed_at IS NOT NULL FROM docstown_demo_jobs WHERE id = ${slow};`) === "t" ? true : undefined);
    const signalled = Date.now();
    worker.child.kill("SIGTERM");
    const code = await worker.exited;
    const took = Date.now() - signalled;
    assert.equal(code, 0, worker.output());
    assert.ok(took < 5000, `stopped within the bound (${took} ms)`);
    assert.ok(existsSync(join(repos, "docstown-demo", "jobs", `${slow}.txt`)), "the job in hand wrote its result");
    assert.equal(cluster.must(APP, "stop_queue", `SELECT finished_at IS NOT NULL FROM docstown_demo_jobs WHERE id = ${slow};`), "t");
    assert.equal(cluster.must(APP, "stop_queue", `SELECT claimed_at IS NULL FROM docstown_demo_jobs WHERE id = ${next};`), "t", "nothing claimed after the signal");
    assert.match(worker.output(), /finished job \d+ after the stop signal/);
  });

  test("curl applet: the health probe's options, curl's exit codes, anything else refused", async () => {
    primary("curl");
    const [httpPort, pumaPort, closed] = await Promise.all([freePort(), freePort(), freePort()]);
    const web = start(["thrust", "./bin/rails", "server"], { ...urls("curl"), HTTP_PORT: String(httpPort), TARGET_PORT: String(pumaPort), REPOS_PATH: join(dir, "repos-curl") });
    try {
      await waitFor("web", 10000, async () => ((await get(pumaPort, "/up").catch(() => undefined))?.status === 200 ? true : undefined));
      const curl = (...args: string[]) => run(bin, ["curl", ...args], {});
      const probe = ["-fsS", "-o", "/dev/null", "--max-time", "4", "-H", "Host: localhost", "-H", "X-Forwarded-Proto: https"];
      assert.equal(curl(...probe, `http://127.0.0.1:${pumaPort}/up`).status, 0);
      assert.equal(curl(...probe, `http://127.0.0.1:${closed}/up`).status, 7, "connection refused");
      const missing = curl(...probe, `http://127.0.0.1:${pumaPort}/jobs/x`);
      assert.equal(missing.status, 22, "-f: an HTTP error is a failure");
      assert.match(missing.stderr, /returned error: 400/);
      assert.equal(curl("-s", "-H", "X-Forwarded-Proto: https", `http://127.0.0.1:${pumaPort}/version`).stdout.trim(), "7");
      assert.equal(curl("-fsS", "--max-time", "0.5", "-H", "X-Forwarded-Proto: https", `http://127.0.0.1:${pumaPort}/slow?ms=3000`).status, 28, "timeout");
      const unsupported = curl("-k", `http://127.0.0.1:${pumaPort}/up`);
      assert.equal(unsupported.status, 2);
      assert.match(unsupported.stderr, /not supported by the docstown demo applet/);
    } finally {
      web.child.kill("SIGTERM");
      await web.exited;
    }
  });
});
