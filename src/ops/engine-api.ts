// The Docker Engine API on the stack's host, through `docker system dial-stdio` (the same
// connection helper the Docker CLI uses for ssh:// hosts): one HTTP request per connection, its
// body (a container's environment included) inside the SSH channel, never on a command line.
import { spawn } from "node:child_process";
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

/** One request to the host's Docker API; rejects with an OpsError when the connection fails. */
export function dockerApi(host: Host, method: string, path: string, options: RequestOptions = {}): Promise<ApiAnswer> {
  const inv = onHost(host, ["docker", "system", "dial-stdio"]);
  return new Promise((resolve, reject) => {
    const child = spawn(inv.file, inv.args, { env: inv.env, stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    let settled = false;
    const fail = (err: OpsError) => {
      if (settled) return;
      settled = true;
      child.kill();
      reject(err);
    };
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (err: NodeJS.ErrnoException) => fail(new OpsError(`${inv.file}: ${err.code === "ENOENT" ? "not on PATH" : err.message}`, 2)));
    child.on("exit", (code) => {
      if (!settled && code !== 0) fail(connectionError(host, code, stderr));
    });
    const socket = Duplex.from({ readable: child.stdout, writable: child.stdin });
    const body = options.json !== undefined ? Buffer.from(JSON.stringify(options.json)) : options.tar;
    const headers: http.OutgoingHttpHeaders = { Host: "docker", Connection: "close" };
    if (body !== undefined) {
      headers["Content-Type"] = options.json !== undefined ? "application/json" : "application/x-tar";
      headers["Content-Length"] = body.length;
    }
    const req = http.request({ method, path: `${API}${path}`, headers, createConnection: () => socket as unknown as import("node:net").Socket }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (d: Buffer) => chunks.push(d));
      res.on("end", () => {
        if (settled) return;
        settled = true;
        child.stdin.end();
        child.kill();
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) });
      });
    });
    req.on("error", (err) => fail(connectionError(host, null, stderr || err.message)));
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
