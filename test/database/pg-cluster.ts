import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A throwaway PostgreSQL server for tests: initdb in a temp dir, started on a free loopback port,
 * password (SCRAM) authentication over TCP like a managed cluster. PostgreSQL refuses to run as
 * root, so as root the server runs as the `postgres` OS user the Debian package creates.
 */

const PG_ROOT = "/usr/lib/postgresql";

/** The newest installed server's bin directory, or undefined. */
export function findPgBin(): string | undefined {
  if (!existsSync(PG_ROOT)) return undefined;
  const versions = readdirSync(PG_ROOT).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = join(PG_ROOT, v, "bin");
    if (["initdb", "pg_ctl", "postgres", "psql"].every((b) => existsSync(join(bin, b)))) return bin;
  }
  return undefined;
}

function postgresOsUser(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/** Why the real-PostgreSQL tests cannot run here, or undefined when they can. */
export function pgSkipReason(): string | undefined {
  if (findPgBin() === undefined) return `no PostgreSQL server binaries under ${PG_ROOT}/<version>/bin (apt-get install postgresql)`;
  if (process.getuid?.() === 0 && postgresOsUser() === undefined) return "running as root and there is no postgres OS user to run the server as";
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface SqlResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Login {
  readonly user: string;
  readonly password: string;
}

export class ThrowawayCluster {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    private readonly runAs: string[],
    readonly port: number,
    /** The bootstrap superuser (stands for DigitalOcean's own, which operators never get). */
    readonly superuser: Login,
  ) {}

  /**
   * Starts a server; with `tls`, it also serves TLS with that certificate and key (PEM), as a
   * managed cluster does, while still accepting plain connections for the harness's own `sql`.
   */
  static async start(options: { tls?: { certificatePem: string; privateKeyPem: string } } = {}): Promise<ThrowawayCluster> {
    const bin = findPgBin();
    if (bin === undefined) throw new Error("no PostgreSQL binaries");
    const dir = mkdtempSync(join(tmpdir(), "docstown-pg-"));
    const asRoot = process.getuid?.() === 0;
    const runAs = asRoot ? ["runuser", "-u", "postgres", "--"] : [];
    const superuser = { user: "postgres", password: `su-${process.pid}-${Date.now()}` };
    const port = await freePort();
    const cluster = new ThrowawayCluster(bin, dir, runAs, port, superuser);
    try {
      writeFileSync(join(dir, "pwfile"), `${superuser.password}\n`, { mode: 0o600 });
      if (asRoot) {
        const owner = postgresOsUser();
        if (owner === undefined) throw new Error("no postgres OS user");
        chownSync(dir, owner.uid, owner.gid);
        chownSync(join(dir, "pwfile"), owner.uid, owner.gid);
      }
      cluster.run("initdb", ["-D", join(dir, "data"), "-U", superuser.user, `--pwfile=${join(dir, "pwfile")}`, "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"]);
      let serverOptions = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c full_page_writes=off`;
      if (options.tls !== undefined) {
        // PostgreSQL refuses a key file others can read, and reads both as the server's user.
        const files = { "server.crt": options.tls.certificatePem, "server.key": options.tls.privateKeyPem };
        for (const [file, pem] of Object.entries(files)) {
          writeFileSync(join(dir, file), pem, { mode: 0o600 });
          const owner = asRoot ? postgresOsUser() : undefined;
          if (owner !== undefined) chownSync(join(dir, file), owner.uid, owner.gid);
        }
        serverOptions += ` -c ssl=on -c ssl_cert_file=${join(dir, "server.crt")} -c ssl_key_file=${join(dir, "server.key")}`;
      }
      cluster.run("pg_ctl", ["-D", join(dir, "data"), "-l", join(dir, "server.log"), "-w", "-t", "30", "-o", serverOptions, "start"]);
      return cluster;
    } catch (error) {
      cluster.stop();
      throw error;
    }
  }

  private run(tool: string, args: string[]): void {
    const [cmd, ...rest] = [...this.runAs, join(this.bin, tool), ...args];
    const result = spawnSync(cmd as string, rest, { encoding: "utf8", timeout: 60_000 });
    if (result.status !== 0) throw new Error(`${tool} failed (${result.status}): ${result.stderr}${result.stdout}`);
  }

  /** Runs SQL (one statement or a script, each statement on its own) as `login` in `database`. */
  sql(login: Login, database: string, script: string): SqlResult {
    const result = spawnSync(
      join(this.bin, "psql"),
      ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(this.port), "-U", login.user, "-d", database, "-f", "-"],
      { input: script, encoding: "utf8", timeout: 30_000, env: { ...process.env, PGPASSWORD: login.password, PGSSLMODE: "disable", PGCONNECT_TIMEOUT: "10" } },
    );
    return { ok: result.status === 0, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
  }

  /**
   * Runs one statement through `psql <url>`: libpq reads every connection setting (TLS mode, CA
   * file, host) from the URL alone, as it does under Rails. Nothing comes from the environment.
   */
  sqlByUrl(url: string, statement: string): SqlResult {
    const env: NodeJS.ProcessEnv = { PATH: process.env["PATH"], HOME: this.dir, PGCONNECT_TIMEOUT: "10" };
    const result = spawnSync(join(this.bin, "psql"), ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", statement, url], { encoding: "utf8", timeout: 30_000, env });
    return { ok: result.status === 0, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
  }

  /** Like `sql`, but a failure is a test failure with PostgreSQL's message. */
  must(login: Login, database: string, script: string): string {
    const result = this.sql(login, database, script);
    if (!result.ok) throw new Error(`as ${login.user} in ${database}: ${result.stderr}`);
    return result.stdout;
  }

  /** Stops the server at once and removes its directory; safe to call twice or after a failed start. */
  stop(): void {
    if (existsSync(join(this.dir, "data", "postmaster.pid"))) {
      try {
        this.run("pg_ctl", ["-D", join(this.dir, "data"), "-m", "immediate", "-w", "stop"]);
      } catch {
        // Removing the directory below still leaves nothing behind but a dying process.
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
