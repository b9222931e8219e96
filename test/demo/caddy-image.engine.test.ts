// The proxy image built from Caddy's Go module (demo/caddy) on a real Docker engine: the version
// the stack pins, and the official image's file capability on /usr/bin/caddy, which must survive
// into the exported layer and behave as it does in the official image (refused with every
// capability dropped; runs as nobody with NET_BIND_SERVICE kept and no-new-privileges).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NO_NEW_PRIVILEGES, PROXY_USER } from "../../src/app/containers";
import { parseImageReference } from "../../src/app/image";
import { productionSchema } from "../../src/config/schema";
import { DEMO_DIR, dockerMissing, goMissing, skipUnlessCi, waitFor } from "./support";

const skip = skipUnlessCi(dockerMissing(), goMissing(), spawnSync("setcap", ["-h"]).error === undefined ? undefined : "setcap is missing (apt-get install libcap2-bin)");

const RUN_ID = randomBytes(4).toString("hex");
const PREFIX = `docstown-test-${RUN_ID}-`;
const LABEL = `docstown.test=${RUN_ID}`;
/** The Caddy release the stack's proxy image pins (app.proxyImage's default tag). */
const PINNED = parseImageReference(productionSchema.shape.app.parse({ image: "ghcr.io/docstown/docstown" }).proxyImage).tag ?? "";
/** vfs_cap_data: revision 2, effective flag, permitted bit 10 (CAP_NET_BIND_SERVICE). */
const VFS_CAP_REVISION_2 = 0x02000000;
const CAP_NET_BIND_SERVICE = 10;

function docker(args: string[], timeout = 60000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("docker", args, { encoding: "utf8", timeout });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

/** The xattr tar records for `path` in a layer: GNU/PAX `SCHILY.xattr.<name>=<value>` records. */
function paxXattrs(layer: Buffer, path: string): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  let pending = new Map<string, Buffer>();
  for (let at = 0; at + 512 <= layer.length;) {
    const header = layer.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const name = header.subarray(0, 100).toString("latin1").replace(/\0.*$/s, "");
    const prefix = header.subarray(345, 500).toString("latin1").replace(/\0.*$/s, "");
    const size = parseInt(header.subarray(124, 136).toString("latin1").replace(/\0.*$/s, "").trim() || "0", 8);
    const type = String.fromCharCode(header[156] ?? 0);
    const body = layer.subarray(at + 512, at + 512 + size);
    if (type === "x") {
      pending = new Map();
      for (let i = 0; i < body.length;) {
        const space = body.indexOf(0x20, i);
        const length = Number(body.subarray(i, space).toString("latin1"));
        const record = body.subarray(space + 1, i + length - 1);
        const eq = record.indexOf(0x3d);
        const key = record.subarray(0, eq).toString("latin1");
        if (key.startsWith("SCHILY.xattr.")) pending.set(key.slice("SCHILY.xattr.".length), record.subarray(eq + 1));
        i += length;
      }
    } else {
      const full = prefix !== "" ? `${prefix}/${name}` : name;
      if (full.replace(/^\.?\//, "") === path) for (const [k, v] of pending) found.set(k, v);
      pending = new Map();
    }
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return found;
}

describe("the proxy image built from Caddy's Go module", { skip }, () => {
  let image: string;
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "docstown-caddy-image-"));
    const t0 = Date.now();
    const r = spawnSync("bash", [join(DEMO_DIR, "build.sh"), "--prefix", PREFIX, "--only", "proxy"], { encoding: "utf8", timeout: 1_500_000 });
    if (r.status !== 0) throw new Error(`demo/build.sh --only proxy failed: ${r.stderr}`);
    image = r.stdout.trim().replace(/^proxy=/, "");
    console.log(`# ${image} built in ${Date.now() - t0} ms`);
  });

  after(() => {
    const ids = docker(["ps", "-aq", "--filter", `label=${LABEL}`]).stdout.split("\n").filter(Boolean);
    if (ids.length > 0) docker(["rm", "-f", ...ids]);
    if (image !== undefined) docker(["image", "rm", image]);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test("it is the Caddy release the stack pins", () => {
    const version = docker(["run", "--rm", "--label", LABEL, image, "caddy", "version"]);
    assert.equal(version.status, 0, version.stderr);
    assert.match(PINNED, /^2\.\d+/, `app.proxyImage pins a Caddy 2 release (${PINNED})`);
    assert.ok(version.stdout.startsWith(`v${PINNED}`), `caddy ${version.stdout} is the pinned ${PINNED}`);
    assert.equal(image.split(":").pop(), version.stdout.split(" ")[0]?.replace(/^v/, ""), "tagged with its version");
  });

  test("/usr/bin/caddy carries cap_net_bind_service=+ep in the exported layer", () => {
    const archive = join(dir, "image.tar");
    const save = spawnSync("docker", ["save", "-o", archive, image], { encoding: "utf8", timeout: 120000 });
    assert.equal(save.status, 0, save.stderr);
    assert.equal(spawnSync("tar", ["-xf", archive, "-C", dir]).status, 0);
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { Layers: string[] }[];
    const layers = manifest[0]?.Layers ?? [];
    // The last layer that writes /usr/bin/caddy is what a container sees.
    const top = [...layers].reverse().map((l) => ({ layer: l, xattrs: paxXattrs(readFileSync(join(dir, l)), "usr/bin/caddy") }))
      .find((l) => spawnSync("tar", ["-tf", join(dir, l.layer), "usr/bin/caddy"]).status === 0);
    assert.ok(top !== undefined, `a layer holds usr/bin/caddy (${layers.join(", ")})`);
    const cap = top.xattrs.get("security.capability");
    assert.ok(cap !== undefined, `security.capability on usr/bin/caddy in ${top.layer}`);
    const magic = cap.readUInt32LE(0);
    assert.equal(magic & 0xff000000, VFS_CAP_REVISION_2, "revision 2 capability set");
    assert.equal(magic & 1, 1, "effective");
    assert.equal(cap.readUInt32LE(4), 1 << CAP_NET_BIND_SERVICE, "permitted: net_bind_service only");
    if (process.getuid?.() === 0 && spawnSync("getcap", ["-h"]).error === undefined) {
      const out = join(dir, "rootfs");
      spawnSync("mkdir", ["-p", out]);
      assert.equal(spawnSync("tar", ["--xattrs", "--xattrs-include=security.*", "-xf", join(dir, top.layer), "-C", out, "usr/bin/caddy"]).status, 0);
      assert.match(spawnSync("getcap", [join(out, "usr/bin/caddy")], { encoding: "utf8" }).stdout, /cap_net_bind_service=ep/);
    }
  });

  test("like the official image: refused with every capability dropped, serves as nobody with NET_BIND_SERVICE kept", async () => {
    const dropped = docker(["run", "--rm", "--label", LABEL, "--user", PROXY_USER, "--cap-drop", "ALL", "--security-opt", NO_NEW_PRIVILEGES, image, "caddy", "version"]);
    assert.notEqual(dropped.status, 0);
    assert.match(dropped.stderr + dropped.stdout, /operation not permitted/);
    const name = `docstown-caddy-${RUN_ID}`;
    const started = docker(["run", "-d", "--name", name, "--label", LABEL, "--user", PROXY_USER, "--cap-drop", "ALL", "--cap-add", "NET_BIND_SERVICE",
      "--security-opt", NO_NEW_PRIVILEGES, "-p", "127.0.0.1::80", image]);
    assert.equal(started.status, 0, started.stderr);
    const port = Number(docker(["port", name, "80/tcp"]).stdout.split(":").pop());
    const body = await waitFor("caddy answers on :80", 15000, () =>
      new Promise<string | undefined>((resolve) => {
        const req = request({ host: "127.0.0.1", port, path: "/", timeout: 2000 }, (res) => {
          let text = "";
          res.on("data", (c: Buffer) => (text += c.toString()));
          res.on("end", () => resolve(res.statusCode === 200 ? text : undefined));
        });
        req.on("error", () => resolve(undefined));
        req.on("timeout", () => req.destroy());
        req.end();
      }));
    assert.match(body, /^docstown-caddy v2\./);
  });
});
