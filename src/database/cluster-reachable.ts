import * as net from "node:net";
import * as tls from "node:tls";
import * as pulumi from "@pulumi/pulumi";

/**
 * Waiting, before the first grant, until the cluster accepts a PostgreSQL connection from the
 * machine running `pulumi up`.
 *
 * The grants start as soon as the database firewall (the trusted sources) is created, but
 * DigitalOcean applies its rules afterwards, and the `postgresql` provider connects once, without
 * retrying (terraform-provider-postgresql, postgresql/config.go: `Connect` returns the first
 * `db.Ping()` error as "error connecting to PostgreSQL server"). So each grant carries a
 * `beforeCreate` hook that runs this wait on the machine running `pulumi up`, where the provider
 * connects from: bounded, with a message saying what it waits for. Hooks run only when a grant is
 * created (a first deploy, a restore, a new grant), never in a preview, in an ordinary deploy or
 * in a refresh, which is why the wait is a hook and not a resource of its own: a new resource
 * would run its wait on the next deploy from CI, whose runners are not trusted sources.
 *
 * One attempt goes as far as the provider's own connection before the password: TCP, the
 * SSLRequest, TLS verified against the cluster's CA for the host (verify-full), the startup
 * message; the cluster accepts when it asks for authentication. A refused or silent port, a
 * `no pg_hba.conf entry` and a certificate that does not verify are all "not yet".
 */

export interface ClusterEndpoint {
  readonly host: string;
  readonly port: number;
  /** The cluster's CA (PEM): the same verification as the provider's `sslrootcert`. */
  readonly caPem: string;
  /** Who the startup message names (the admin); no password is sent. */
  readonly user: string;
  readonly database: string;
}

export type ProbeResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** PostgreSQL's SSLRequest: length 8, code 80877103. */
function sslRequest(): Buffer {
  const b = Buffer.alloc(8);
  b.writeInt32BE(8, 0);
  b.writeInt32BE(80877103, 4);
  return b;
}

/** StartupMessage, protocol 3.0. */
function startupMessage(user: string, database: string): Buffer {
  const pairs = Buffer.from(`user\0${user}\0database\0${database}\0application_name\0docstown-wait\0\0`, "utf8");
  const b = Buffer.alloc(8 + pairs.length);
  b.writeInt32BE(b.length, 0);
  b.writeInt32BE(196608, 4);
  pairs.copy(b, 8);
  return b;
}

/** The `M` (message) field of an ErrorResponse body. */
function errorMessage(body: Buffer): string {
  let at = 0;
  while (at < body.length && body[at] !== 0) {
    const code = String.fromCharCode(body[at] as number);
    const end = body.indexOf(0, at + 1);
    const value = body.subarray(at + 1, end < 0 ? body.length : end).toString("utf8");
    if (code === "M") return value;
    at = end < 0 ? body.length : end + 1;
  }
  return "an error without a message";
}

function describeError(error: NodeJS.ErrnoException): string {
  return error.code !== undefined && !error.message.includes(error.code) ? `${error.code}: ${error.message}` : error.message;
}

/** One attempt; never rejects. */
export function probeCluster(endpoint: ClusterEndpoint, timeoutMs = 10_000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const sockets: net.Socket[] = [];
    let settled = false;
    const done = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const s of sockets) s.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done({ ok: false, reason: `no answer within ${timeoutMs / 1000} s` }), timeoutMs);
    const raw = net.connect({ host: endpoint.host, port: endpoint.port });
    sockets.push(raw);
    raw.on("error", (error) => done({ ok: false, reason: describeError(error) }));
    raw.on("close", () => done({ ok: false, reason: "the connection was closed before the server asked for a password" }));
    raw.once("connect", () => raw.write(sslRequest()));
    raw.once("data", (answer) => {
      if (answer[0] !== 0x53) {
        done({ ok: false, reason: `the server did not agree to TLS (answered ${JSON.stringify(String.fromCharCode(answer[0] ?? 0))})` });
        return;
      }
      const secure = tls.connect({ socket: raw, host: endpoint.host, servername: endpoint.host, ca: endpoint.caPem });
      sockets.push(secure);
      secure.on("error", (error) => done({ ok: false, reason: `TLS: ${describeError(error)}` }));
      secure.once("secureConnect", () => secure.write(startupMessage(endpoint.user, endpoint.database)));
      let buffer = Buffer.alloc(0);
      secure.on("data", (data: Buffer) => {
        buffer = Buffer.concat([buffer, data]);
        if (buffer.length < 5) return;
        const type = String.fromCharCode(buffer[0] as number);
        if (type === "R") {
          done({ ok: true });
          return;
        }
        const length = buffer.readInt32BE(1);
        if (type === "E" && buffer.length < 1 + length) return;
        done({ ok: false, reason: type === "E" ? `the server refused: ${errorMessage(buffer.subarray(5, 1 + length))}` : `unexpected reply ${JSON.stringify(type)}` });
      });
    });
  });
}

export interface WaitOptions {
  /** The whole wait (default 5 min). */
  readonly timeoutMs?: number;
  /** Between attempts (default 5 s). */
  readonly intervalMs?: number;
  /** One attempt (default 10 s). */
  readonly attemptTimeoutMs?: number;
  readonly probe?: (endpoint: ClusterEndpoint, timeoutMs: number) => Promise<ProbeResult>;
  readonly log?: (message: string) => void;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_WAIT_MS = 5 * 60_000;

const minutes = (ms: number) => `${Math.round((ms / 60_000) * 10) / 10} min`;

/** What is logged when the first attempt fails. */
export function waitingMessage(endpoint: ClusterEndpoint, timeoutMs: number, reason: string): string {
  return `waiting up to ${minutes(timeoutMs)} for ${endpoint.host}:${endpoint.port} to accept a PostgreSQL connection from this machine ` +
    `before the grants (${reason}); DigitalOcean applies the cluster's trusted sources (docstown:operators.databaseCidrs) after creating them`;
}

/** The error when the wait runs out. */
export function timeoutMessage(endpoint: ClusterEndpoint, timeoutMs: number, reason: string): string {
  return `${endpoint.host}:${endpoint.port} did not accept a PostgreSQL connection from this machine within ${minutes(timeoutMs)} ` +
    `(last attempt: ${reason}). The grants connect from the machine running pulumi up: its public IPv4 must be in ` +
    `docstown:operators.databaseCidrs. Run pulumi up again once it is.`;
}

/** Resolves with the number of attempts once the cluster accepts; rejects with timeoutMessage. */
export async function waitUntilAccepting(endpoint: ClusterEndpoint, options: WaitOptions = {}): Promise<number> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
  const intervalMs = options.intervalMs ?? 5_000;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 10_000;
  const probe = options.probe ?? probeCluster;
  const log = options.log ?? (() => {});
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const started = now();
  for (let attempt = 1; ; attempt++) {
    const result = await probe(endpoint, attemptTimeoutMs);
    if (result.ok) {
      if (attempt > 1) log(`${endpoint.host}:${endpoint.port} accepts connections from this machine (attempt ${attempt}, after ${Math.round((now() - started) / 1000)} s)`);
      return attempt;
    }
    if (attempt === 1) log(waitingMessage(endpoint, timeoutMs, result.reason));
    if (now() - started + intervalMs > timeoutMs) throw new Error(timeoutMessage(endpoint, timeoutMs, result.reason));
    await sleep(intervalMs);
  }
}

const waits = new Map<string, Promise<number>>();

/** One wait per endpoint and process: the grants' hooks (up to `--parallel` at once) share it. */
export function waitOnce(endpoint: ClusterEndpoint, options: WaitOptions = {}): Promise<number> {
  const key = `${endpoint.host}:${endpoint.port}`;
  let wait = waits.get(key);
  if (wait === undefined) {
    wait = waitUntilAccepting(endpoint, options);
    waits.set(key, wait);
  }
  return wait;
}

/**
 * Whether the engine takes resource hooks. The real engine's monitor does; the SDK's mocks
 * (`pulumi.runtime.setMocks`, 3.248) claim to but lack `registerResourceHook`, so the offline
 * synth and the tests would fail on any hook: there, none is declared.
 */
export function resourceHooksAvailable(): boolean {
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResourceHook?: unknown } | undefined;
  return typeof monitor?.registerResourceHook === "function";
}

/**
 * The `beforeCreate` hook of every grant: wait (once) until `endpoint` accepts a connection from
 * this machine. `endpoint` resolves when the cluster's outputs are known (not in a preview, where
 * hooks do not run). Undefined when the engine takes no hooks.
 */
export function clusterAcceptsHook(
  name: string,
  endpoint: Promise<ClusterEndpoint>,
  options: WaitOptions = {},
  logOn?: pulumi.Resource,
): pulumi.ResourceHook | undefined {
  if (!resourceHooksAvailable()) return undefined;
  const log = options.log ?? ((message: string) => void pulumi.log.info(message, logOn));
  return new pulumi.ResourceHook(name, async () => {
    await waitOnce(await endpoint, { ...options, log });
  });
}
