// The demo app and PostgreSQL images on a real Docker engine, run the way the local stack
// declares its containers (src/local/local-database.ts, src/app/rails-app.ts): PostgreSQL as its
// `postgres` user on a read-only root, the repos chown, db:prepare as uid 1000, web with the
// program's own health probe (`sh -c "curl … http://$(hostname):3000/up"`), the worker, and stops
// by `docker stop` through the container's init. Images come from `demo/build.sh` under a
// per-run prefix and are removed afterwards; everything runs on a test network, no port published.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { promisify } from "node:util";
import { APP_OWNER, APP_USER, MIGRATE_COMMAND, NO_NEW_PRIVILEGES, WEB_ALIAS, WEB_COMMAND, WORKER_COMMAND, webHealthcheck } from "../../src/app/containers";
import { LOCAL_DB_HOST, LOCAL_DB_USER, localDatabaseUrls, postgresDataPath, postgresHealthTest } from "../../src/local/postgres";
import { RAILS_DATABASES } from "../../src/database/rails";
import { DEMO_DIR, dockerMissing, goMissing, skipUnlessCi, sleep, waitFor } from "./support";

const run = promisify(execFile);
const skip = skipUnlessCi(dockerMissing(), goMissing(), spawnSync("/bin/busybox", ["true"]).status === 0 ? undefined : "/bin/busybox is missing (apt-get install busybox-static)");

const RUN_ID = randomBytes(4).toString("hex");
const PREFIX = `docstown-test-${RUN_ID}-`;
const N = `docstown-demo-${RUN_ID}`;
const PASSWORD = `pw-${RUN_ID}`;
const BOOT_SECONDS = 3;

function docker(args: string[], timeout = 60000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("docker", args, { encoding: "utf8", timeout });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}
function must(args: string[], timeout?: number): string {
  const r = docker(args, timeout);
  if (r.status !== 0) throw new Error(`docker ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

/** demo/build.sh, as `npm run demo:images -- …` runs it; returns role=image lines as a map. */
function buildImages(...args: string[]): Record<string, string> {
  const r = spawnSync("bash", [join(DEMO_DIR, "build.sh"), "--prefix", PREFIX, ...args], { encoding: "utf8", timeout: 900_000 });
  if (r.status !== 0) throw new Error(`demo/build.sh ${args.join(" ")} failed: ${r.stderr}`);
  return Object.fromEntries(r.stdout.trim().split("\n").map((l) => l.split("=") as [string, string]));
}

const URLS = localDatabaseUrls(PASSWORD);
const APP_ENV = [...Object.entries(URLS).map(([k, v]) => `${k}=${v}`), "REPOS_PATH=/data/repos"].flatMap((e) => ["-e", e]);
/** What rails-app.ts gives every app container: uid 1000, tini, no capabilities, no privilege gain. */
const APP_FLAGS = ["--user", APP_USER, "--init", "--cap-drop", "ALL", "--security-opt", NO_NEW_PRIVILEGES, "--network", N, "--label", `docstown.test=${RUN_ID}`];

describe("demo images on a real Docker engine", { skip }, () => {
  let images: Record<string, string>;
  let failing: string;
  let pgImage: string;

  const psql = (db: string, sql: string) => must(["exec", `${N}-pg`, "psql", "-X", "-q", "-A", "-t", "-U", LOCAL_DB_USER, "-d", db, "-c", sql]);
  const state = (name: string) => must(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", name]);
  const health = (name: string) => must(["inspect", "-f", "{{if .State.Health}}{{.State.Health.Status}}{{end}}", name]);
  const inWeb = (path: string) => docker(["exec", `${N}-web`, "curl", "-sS", "-H", "X-Forwarded-Proto: https", `http://127.0.0.1:3000${path}`]);

  before(() => {
    const t0 = Date.now();
    images = buildImages("--version", "t1", "--only", "app,postgres");
    failing = buildImages("--version", "t1-fails", "--failing-migration", "--only", "app")["app"] as string;
    pgImage = images["postgres"] as string;
    console.log(`# demo images built in ${Date.now() - t0} ms: ${Object.values(images).join(", ")}, ${failing}`);
    must(["network", "create", "--label", `docstown.test=${RUN_ID}`, N]);
    must(["volume", "create", `${N}-repos`]);
  });

  after(() => {
    const ids = docker(["ps", "-aq", "--filter", `label=docstown.test=${RUN_ID}`]).stdout.split("\n").filter(Boolean);
    if (ids.length > 0) docker(["rm", "-f", "-v", ...ids]);
    docker(["volume", "rm", `${N}-repos`, `${N}-pgdata`]);
    docker(["network", "rm", N]);
    docker(["image", "rm", ...Object.values(images ?? {}), ...(failing !== undefined ? [failing] : [])]);
  });

  test("the app image: FROM scratch, uid/gid 1000, WORKDIR /rails, the Rails entrypoint, the web command by default", () => {
    const [config] = JSON.parse(must(["image", "inspect", images["app"] as string])) as { Config: { User: string; WorkingDir: string; Entrypoint: string[]; Cmd: string[] } }[];
    assert.equal(config?.Config.User, APP_OWNER);
    assert.equal(config?.Config.WorkingDir, "/rails");
    assert.deepEqual(config?.Config.Entrypoint, ["/rails/bin/docker-entrypoint"]);
    assert.deepEqual(config?.Config.Cmd, WEB_COMMAND);
    const out = must(["run", "--rm", "--entrypoint", "/bin/sh", images["app"] as string, "-c", "id -u; id -g; pwd; ls ./bin; for f in /usr/bin/curl /bin/sh /bin/hostname /bin/chown; do readlink $f; done"]);
    assert.deepEqual(out.split("\n"), [
      "1000", "1000", "/rails", "docker-entrypoint", "docstown-demo", "jobs", "rails", "thrust",
      "/rails/bin/docstown-demo", "busybox", "busybox", "busybox",
    ]);
  });

  test("PostgreSQL as the local stack runs it: its own user, read-only root, tmpfs, healthy by pg_isready", async () => {
    const [, ...pgProbe] = postgresHealthTest();
    must(["run", "-d", "--name", `${N}-pg`, "--label", `docstown.test=${RUN_ID}`, "--network", N, "--network-alias", LOCAL_DB_HOST,
      "--user", "postgres", "--read-only", "--cap-drop", "ALL", "--security-opt", NO_NEW_PRIVILEGES,
      "--tmpfs", "/var/run/postgresql:rw,noexec,nosuid,size=1m,mode=1777", "--tmpfs", "/tmp:rw,noexec,nosuid,size=64m,mode=1777",
      "-e", `POSTGRES_USER=${LOCAL_DB_USER}`, "-e", `POSTGRES_DB=${RAILS_DATABASES.DATABASE_URL}`, "-e", `POSTGRES_PASSWORD=${PASSWORD}`,
      "-v", `${N}-pgdata:${postgresDataPath(pgImage)}`,
      "--health-cmd", pgProbe.join(" "), "--health-interval", "1s", "--health-retries", "30", pgImage]);
    await waitFor("PostgreSQL healthy", 60000, () => (health(`${N}-pg`) === "healthy" ? true : undefined));
    assert.equal(psql(RAILS_DATABASES.DATABASE_URL, "SELECT current_user || ' ' || current_database();"), `${LOCAL_DB_USER} ${RAILS_DATABASES.DATABASE_URL}`);
    assert.match(psql("postgres", "SHOW server_version;"), /^\d+\.\d+/);
  });

  test("repos chown, then db:prepare as uid 1000 marks all four databases; the failing build exits 1", () => {
    must(["run", "--rm", "--user", "0:0", "--cap-drop", "ALL", "--cap-add", "CHOWN", "--security-opt", NO_NEW_PRIVILEGES, "--read-only",
      "--network", "none", "-v", `${N}-repos:/data/repos`, images["app"] as string, "chown", APP_OWNER, "/data/repos"]);
    const bad = docker(["run", "--rm", ...APP_FLAGS, ...APP_ENV, failing, ...MIGRATE_COMMAND]);
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stderr, /fails on purpose/);
    assert.equal(psql(RAILS_DATABASES.DATABASE_URL, "SELECT count(*) FROM pg_tables WHERE tablename = 'docstown_demo_marker';"), "0");
    const ok = docker(["run", "--rm", ...APP_FLAGS, ...APP_ENV, images["app"] as string, ...MIGRATE_COMMAND]);
    assert.equal(ok.status, 0, ok.stderr);
    for (const [name, db] of Object.entries(RAILS_DATABASES)) {
      assert.equal(psql(db, "SELECT version FROM docstown_demo_marker;"), "t1", `${name}: marker in ${db}`);
    }
  });

  test("web: healthy by the program's own probe only after its boot delay; serves the repos page", async () => {
    const probe = webHealthcheck("localhost", BOOT_SECONDS);
    const [kind, command] = probe.tests as string[];
    assert.equal(kind, "CMD-SHELL", "the probe is a shell command line: the image must have /bin/sh");
    const started = Date.now();
    must(["run", "-d", "--name", `${N}-web`, ...APP_FLAGS, ...APP_ENV, "--network-alias", WEB_ALIAS,
      "-e", "TARGET_PORT=3000", "-e", `DEMO_BOOT_SECONDS=${BOOT_SECONDS}`, "--sysctl", "net.ipv4.ip_unprivileged_port_start=80",
      "-v", `${N}-repos:/data/repos`, "--stop-timeout", "20",
      "--health-cmd", String(command), "--health-interval", "1s", "--health-timeout", String(probe.timeout), "--health-retries", "3",
      images["app"] as string, ...WEB_COMMAND]);
    await waitFor("web healthy", 30000, () => (health(`${N}-web`) === "healthy" ? true : undefined));
    assert.ok(Date.now() - started >= BOOT_SECONDS * 1000, "not healthy before the boot delay");
    const log = JSON.parse(must(["inspect", "-f", "{{json .State.Health.Log}}", `${N}-web`])) as { ExitCode: number; Output: string }[];
    assert.ok(log.some((l) => l.ExitCode === 7 && /Failed to connect to [0-9a-f]{12}:3000/.test(l.Output)), `the probe reached the container by its hostname and was refused while booting: ${JSON.stringify(log)}`);
    assert.equal(log.at(-1)?.ExitCode, 0);
    const page = inWeb("/");
    assert.match(page.stdout, /id="version">t1</);
    assert.match(page.stdout, /id="visits">1</);
    assert.equal(must(["exec", `${N}-web`, "cat", "/data/repos/docstown-demo/visits.log"]).split(" ")[1], "t1");
    assert.equal(docker(["exec", `${N}-web`, "curl", "-s", "http://127.0.0.1:80/up"]).stdout, "up", "Thruster on 80 in front of Puma");
  });

  test("worker: claims a queued job, writes it under the repos mount; docker stop lets it finish the job in hand", async () => {
    must(["run", "-d", "--name", `${N}-worker`, ...APP_FLAGS, ...APP_ENV, "-e", "JOB_CONCURRENCY=1",
      "-v", `${N}-repos:/data/repos`, "--stop-timeout", "15", images["app"] as string, ...WORKER_COMMAND]);
    const quick = psql(RAILS_DATABASES.QUEUE_DATABASE_URL, "INSERT INTO docstown_demo_jobs (payload) VALUES ('clone docs') RETURNING id;");
    await waitFor("job done", 20000, () => (/state: finished/.test(inWeb(`/jobs/${quick}`).stdout) ? true : undefined)).catch((e: Error) => {
      const logs = docker(["logs", `${N}-worker`]);
      throw new Error(`${e.message}; job: ${inWeb(`/jobs/${quick}`).stdout}; worker: ${logs.stdout}${logs.stderr}`);
    });
    assert.match(inWeb(`/jobs/${quick}`).stdout, /output: clone docs\noutput: processed by t1 /);
    const slow = psql(RAILS_DATABASES.QUEUE_DATABASE_URL, "INSERT INTO docstown_demo_jobs (payload, seconds) VALUES ('slow', 3) RETURNING id;");
    await waitFor("slow job claimed", 20000, () => (/state: running/.test(inWeb(`/jobs/${slow}`).stdout) ? true : undefined));
    const stopped = Date.now();
    must(["stop", `${N}-worker`], 30000);
    assert.equal(state(`${N}-worker`), "exited 0");
    assert.ok(Date.now() - stopped < 15000, "within the stop timeout");
    assert.match(inWeb(`/jobs/${slow}`).stdout, /state: finished\noutput: slow/);
  });

  test("web: docker stop drains a request in flight (through tini and Thruster) and exits 0", async () => {
    const client = run("docker", ["run", "--rm", "--label", `docstown.test=${RUN_ID}`, "--network", N, images["app"] as string,
      "curl", "-fsS", "--max-time", "20", "-H", "X-Forwarded-Proto: https", `http://${WEB_ALIAS}:3000/slow?ms=4000`], { timeout: 60000 });
    await sleep(2000);
    const stopped = Date.now();
    must(["stop", `${N}-web`], 40000);
    const took = Date.now() - stopped;
    const answer = await client;
    assert.match(answer.stdout, /slept 4000ms in t1/);
    assert.equal(state(`${N}-web`), "exited 0");
    assert.ok(took >= 1000 && took < 20000, `stop waited for the request, within the stop timeout (${took} ms)`);
    const logs = docker(["logs", `${N}-web`]);
    assert.match(logs.stdout + logs.stderr, /drained, exiting/);
  });
});
