// dockerApi over a connection helper that behaves as `docker system dial-stdio` does once the
// daemon closes a `Connection: close` exchange: it writes the whole answer and exits, closing its
// stdin whether or not the request was read. The answer decides, not the order of the pipes' events.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import { dockerApi } from "../../src/ops/engine-api";
import { OpsError } from "../../src/ops/errors";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "docstown-engine-api-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A `docker` on PATH whose `system dial-stdio` runs `script` instead of reaching a daemon. */
function fakeDocker(name: string, script: string): NodeJS.ProcessEnv {
  const bin = path.join(dir, name);
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, "docker"), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  return { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}` };
}

const BODY = JSON.stringify({ Id: "c0ffee", Config: { Env: ["A=1"] }, Padding: "x".repeat(200_000) });

describe("dockerApi", () => {
  test("an answer written by a helper that exits at once, without reading the request, is the answer", async () => {
    const env = fakeDocker("eager", `printf 'HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\nContent-Length: ${BODY.length}\\r\\nConnection: close\\r\\n\\r\\n%s' '${BODY}'\nexec 0<&-`);
    for (let i = 0; i < 40; i++) {
      const answer = await dockerApi({ kind: "local", env }, "POST", "/containers/create", { json: { Image: "x".repeat(100_000) } });
      assert.equal(answer.status, 200);
      assert.equal(answer.body.toString(), BODY);
    }
  });

  test("a helper that exits before answering is a connection error naming what it printed", async () => {
    const env = fakeDocker("refused", `echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock" >&2\nexit 1`);
    await assert.rejects(dockerApi({ kind: "local", env }, "GET", "/containers/json"), (err: unknown) => {
      assert.ok(err instanceof OpsError);
      assert.match(err.message, /^no Docker engine answers \(Cannot connect to the Docker daemon/);
      return true;
    });
  });

  test("an answer cut short (the helper exits mid-body) is a connection error, not a truncated body", async () => {
    const env = fakeDocker("cut", `printf 'HTTP/1.1 200 OK\\r\\nContent-Length: 100\\r\\nConnection: close\\r\\n\\r\\n{"Id":'`);
    await assert.rejects(dockerApi({ kind: "local", env }, "GET", "/containers/json"), OpsError);
  });
});
