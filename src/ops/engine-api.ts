// The Docker Engine API on the stack's host, through `docker system dial-stdio` (the same
// connection helper the Docker CLI uses for ssh:// hosts): one HTTP request per connection, its
// body (a container's environment included) inside the SSH channel, never on a command line.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as http from "node:http";
import { Duplex } from "node:stream";
import { OpsError } from "./errors";
import { onHost, type Host } from "./host";

const API = "/v1.41";

export interface ApiAnswer {
  readonly status: number;
  readonly body: Buffer;
}

export interface RequestOptions {
  readonly json?: unknown;
  readonly tar?: Buffer;
}

/**
 * The helper's pipes as the socket of one HTTP exchange. It may exit, closing its stdin, as soon
 * as the daemon has answered, even before it read all of a request the daemon did not need: a
 * write that fails then is no error of the exchange. The answer (or its absence) decides.
 */
function helperSocket(child: ChildProcessWithoutNullStreams): Duplex {
  child.stdin.on("error", () => {});
  const socket = new Duplex({
    write(chunk: Buffer, _encoding, done) {
      if (child.stdin.writable) child.stdin.write(chunk);
      done();
    },
    final(done) {
      child.stdin.end();
      done();
    },
    read() {
      child.stdout.resume();
    },
  });
  child.stdout.on("data", (d: Buffer) => {
    if (!socket.push(d)) child.stdout.pause();
  });
  child.stdout.on("end", () => socket.push(null));
  return socket;
}

/** One request to the host's Docker API; rejects with an OpsError when the connection fails. */
export function dockerApi(host: Host, method: string, path: string, options: RequestOptions = {}): Promise<ApiAnswer> {
  const inv = onHost(host, ["docker", "system", "dial-stdio"]);
  return new Promise((resolve, reject) => {
    const child = spawn(inv.file, inv.args, { env: inv.env, stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    let settled = false;
    let broken: string | undefined;
    const fail = (err: OpsError) => {
      if (settled) return;
      settled = true;
      child.kill();
      reject(err);
    };
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (err: NodeJS.ErrnoException) => fail(new OpsError(`${inv.file}: ${err.code === "ENOENT" ? "not on PATH" : err.message}`, 2)));
    // Judged once every pipe is drained, so the message carries all the helper printed (ssh's or
    // docker's own reason) rather than the HTTP client's "socket hang up".
    child.on("close", (code) => fail(connectionError(host, code, stderr || broken || "")));
    const body = options.json !== undefined ? Buffer.from(JSON.stringify(options.json)) : options.tar;
    const headers: http.OutgoingHttpHeaders = { Host: "docker", Connection: "close" };
    if (body !== undefined) {
      headers["Content-Type"] = options.json !== undefined ? "application/json" : "application/x-tar";
      headers["Content-Length"] = body.length;
    }
    const socket = helperSocket(child);
    const cut = (err: Error) => {
      broken ??= err.message;
      child.kill();
    };
    const req = http.request({ method, path: `${API}${path}`, headers, createConnection: () => socket as unknown as import("node:net").Socket }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (d: Buffer) => chunks.push(d));
      res.on("error", cut);
      res.on("end", () => {
        if (settled || !res.complete) return;
        settled = true;
        child.kill();
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) });
      });
    });
    req.on("error", cut);
    req.end(body);
  });
}

/** The host could not be reached: one line saying what to do. */
export function connectionError(host: Host, code: number | null, stderr: string): OpsError {
  const why = stderr.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? `exit ${code}`;
  if (host.kind === "ssh") {
    return new OpsError(`cannot reach deploy@${host.address} over SSH (${why}): check that the droplet is up, your address is in docstown:operators.sshCidrs and your key in docstown:operators.sshPublicKeys`, 2);
  }
  return new OpsError(`no Docker engine answers (${why}): start it, or fix DOCKER_HOST / docstown:local.dockerHost`, 2);
}

/** The answer's JSON, or an OpsError naming the request and the daemon's message. */
export function expectJson<T>(what: string, answer: ApiAnswer, ok = [200, 201]): T {
  if (!ok.includes(answer.status)) {
    let message = answer.body.toString("utf8").trim();
    try {
      message = (JSON.parse(message) as { message?: string }).message ?? message;
    } catch {
      // not JSON: the text as it is
    }
    throw new OpsError(`${what}: the Docker engine answered ${answer.status} (${message.split("\n")[0]})`);
  }
  return (answer.body.length === 0 ? {} : JSON.parse(answer.body.toString("utf8"))) as T;
}
