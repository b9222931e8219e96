// The local stack's CA on a real Docker engine: the proxy-data-owner step and the proxy, created
// from the functions the program declares them with, on a fresh named volume. Caddy, as nobody,
// writes its CA there; `docker cp <proxy>:<caPath>` gets the root a client then trusts; a
// replaced proxy on the same volume serves from the same CA. The control shows why the volume is
// mounted with `volume-nocopy`: Docker's copy-up of the image's root-owned /data into an empty
// volume resets the volume's owner to root, undoing the chown. And the proxy's bare uid takes an
// upload with an owner where "65534:65534" failed the create (moby #34142).
//
// Offline: the images are built `FROM scratch` from this machine's binaries: Debian's caddy (with
// its libraries) laid out like the official image (root-owned /data/caddy and /config/caddy,
// nobody 65534:65534 in /etc/passwd), and busybox for the step's chown. Without a Docker engine,
// caddy, busybox or ldd every test is skipped with the reason.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type * as pulumiDocker from "@pulumi/docker";
import { CADDY_DATA_PATH, LOCAL_CA_DATA_PATH, LOCAL_CA_ROOT_PATH, PROXY_LISTEN, PROXY_OWNER, WEB_ALIAS, PUMA_PORT, namedVolume } from "../../src/app/containers";
import { ownerStepContainerArgs } from "../../src/app/roles/owner-step";
import { proxyContainerArgs } from "../../src/app/roles/proxy";
import { skipUnlessCi } from "../demo/support";

const CADDY = "/usr/bin/caddy";
const BUSYBOX = "/bin/busybox";

function why(): string | false {
  const info = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { encoding: "utf8", timeout: 15000 });
  if (info.error !== undefined || info.status !== 0) return `no Docker engine (docker info: ${(info.stderr ?? info.error?.message ?? "").trim().split("\n").pop()})`;
  for (const path of [CADDY, BUSYBOX]) if (!existsSync(path)) return `${path} is missing (apt-get install caddy busybox-static)`;
  if (spawnSync("ldd", [CADDY]).status === null) return "ldd is missing";
  return false;
}
// Skipped with the reason where a tool is missing, except under CI=true, where that fails.
const skip = skipUnlessCi(why() || undefined);

const RUN = `docstown-ca-${randomBytes(4).toString("hex")}`;
const LABEL = `docstown.test=${RUN}`;
const PROXY_IMAGE = `${RUN}-caddy:test`;
const STEP_IMAGE = `${RUN}-chown:test`;

function docker(args: string[], input?: Buffer): string {
  const r = spawnSync("docker", args, { encoding: "utf8", timeout: 60000, ...(input !== undefined ? { input } : {}) });
  if (r.status !== 0) throw new Error(`docker ${args.join(" ")}: ${r.error?.message ?? r.stderr}`);
  return r.stdout.trim();
}

function copyWithLibraries(root: string, binary: string): void {
  const put = (path: string) => {
    mkdirSync(join(root, dirname(path)), { recursive: true });
    copyFileSync(path, join(root, path));
    chmodSync(join(root, path), 0o755);
  };
  put(binary);
  for (const line of execFileSync("ldd", [binary], { encoding: "utf8" }).split("\n")) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m?.[1] !== undefined) put(m[1]);
  }
}

function build(dir: string, tag: string, lines: string[]): void {
  writeFileSync(join(dir, "Dockerfile"), ["FROM scratch", "COPY rootfs/ /", ...lines, `LABEL ${LABEL}`, ""].join("\n"));
  const r = spawnSync("docker", ["build", "-q", "-t", tag, dir], { encoding: "utf8", timeout: 120000, env: { ...process.env, DOCKER_BUILDKIT: "0" } });
  if (r.status !== 0) throw new Error(`docker build ${tag} failed: ${r.error?.message ?? r.stderr}`);
}

/** Like the official caddy image: root-owned /data/caddy and /config/caddy, nobody in passwd, XDG dirs set. */
function buildProxyImage(dir: string): void {
  const root = join(dir, "rootfs");
  copyWithLibraries(root, CADDY);
  for (const d of ["data/caddy", "config/caddy", "etc/caddy"]) mkdirSync(join(root, d), { recursive: true, mode: 0o755 });
  writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n");
  writeFileSync(join(root, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
  writeFileSync(join(root, "etc/nsswitch.conf"), "hosts: files dns\n");
  build(dir, PROXY_IMAGE, ["ENV XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data"]);
}

/** The step's image: `chown` and `ls`, as the app image provides them (the demo app: busybox). */
function buildStepImage(dir: string): void {
  const root = join(dir, "rootfs");
  mkdirSync(join(root, "bin"), { recursive: true });
  copyFileSync(BUSYBOX, join(root, "bin/busybox"));
  chmodSync(join(root, "bin/busybox"), 0o755);
  for (const name of ["chown", "ls"]) symlinkSync("busybox", join(root, "bin", name));
  build(dir, STEP_IMAGE, ["ENV PATH=/bin"]);
}

/** `docker create` flags for the fields these two role functions declare; any other field fails the test. */
function createFlags(args: pulumiDocker.ContainerArgs, handled: readonly string[]): string[] {
  const a = args as unknown as Record<string, unknown>;
  const flags: string[] = [];
  const take: Record<string, (v: unknown) => void> = {
    user: (v) => flags.push("--user", String(v)),
    capabilities: (v) => {
      const caps = v as { drops?: string[]; adds?: string[] };
      for (const c of caps.drops ?? []) flags.push("--cap-drop", c);
      for (const c of caps.adds ?? []) flags.push("--cap-add", c);
    },
    securityOpts: (v) => (v as string[]).forEach((o) => flags.push("--security-opt", o)),
    logDriver: (v) => flags.push("--log-driver", String(v)),
    logOpts: (v) => Object.entries(v as Record<string, string>).forEach(([k, o]) => flags.push("--log-opt", `${k}=${o}`)),
    memory: (v) => flags.push("--memory", `${String(v)}m`),
    memorySwap: (v) => flags.push("--memory-swap", `${String(v)}m`),
    ulimits: (v) => (v as { name: string; soft: number; hard: number }[]).forEach((u) => flags.push("--ulimit", `${u.name}=${u.soft}:${u.hard}`)),
    tmpfs: (v) => Object.entries(v as Record<string, string>).forEach(([p, o]) => flags.push("--tmpfs", `${p}:${o}`)),
    restart: (v) => flags.push("--restart", String(v)),
    readOnly: (v) => (v === true ? flags.push("--read-only") : undefined),
    networkMode: (v) => flags.push("--network", String(v)),
    volumes: (v) => (v as { volumeName: string; containerPath: string }[]).forEach((m) => flags.push("-v", `${m.volumeName}:${m.containerPath}`)),
    envs: (v) => (v as string[]).forEach((e) => flags.push("-e", e)),
    labels: (v) => (v as { label: string; value: string }[]).forEach((l) => flags.push("--label", `${l.label}=${l.value}`)),
  };
  for (const [key, value] of Object.entries(a)) {
    if (handled.includes(key)) continue;
    const f = take[key];
    if (f === undefined) throw new Error(`the test does not translate ${key}: add it to createFlags`);
    f(value);
  }
  return ["--label", LABEL, ...flags];
}

/** Like the provider's uploads without an owner: a tar extracted at / (no CopyUIDGID, so no user lookup). */
function upload(dir: string, container: string, file: string, content: string, mode: string): void {
  const staging = mkdtempSync(join(dir, "upload-"));
  const rel = file.replace(/^\//, "");
  mkdirSync(join(staging, dirname(rel)), { recursive: true });
  writeFileSync(join(staging, rel), content);
  docker(["cp", "-", `${container}:/`], execFileSync("tar", ["-c", "-f", "-", "-C", staging, "--numeric-owner", "--owner=0", "--group=0", `--mode=${mode}`, rel]));
  rmSync(staging, { recursive: true, force: true });
}

/** The step as declared (its volume at `at`); runs attached, like the provider's `attach: true`; returns its exit code. */
function runOwnerStep(volume: string, at = LOCAL_CA_DATA_PATH): number {
  const args = ownerStepContainerArgs({
    step: "proxy-data-owner", image: STEP_IMAGE, owner: PROXY_OWNER, path: at, extraLabels: {},
    mount: { volumes: [namedVolume(volume, at)] },
  });
  const name = `${RUN}-owner-${randomBytes(2).toString("hex")}`;
  docker(["create", "--pull", "never", "--name", name, ...createFlags(args, ["image", "command", "mustRun", "attach"]), STEP_IMAGE, ...(args.command as string[])]);
  const r = spawnSync("docker", ["start", "-a", name], { encoding: "utf8", timeout: 60000 });
  docker(["rm", name]);
  return r.status ?? -1;
}

/**
 * The proxy as declared with Caddy's local CA on `volume`; started, published on the loopback.
 * `at` moves the volume and XDG_DATA_HOME elsewhere (the control: over the image's /data).
 */
function startProxy(dir: string, volume: string, network: string, at = LOCAL_CA_DATA_PATH): string {
  const args = proxyContainerArgs({
    image: PROXY_IMAGE, proxy: { host: "localhost", aliases: [], httpPort: 8080, httpsPort: 8443 },
    tls: { internalCa: { volumeName: volume } }, network, memoryMb: 256, pidsLimit: 512, extraLabels: {},
  });
  const declared = args.volumes as pulumiDocker.types.input.ContainerVolume[];
  assert.deepEqual(declared, [{ volumeName: volume, containerPath: LOCAL_CA_DATA_PATH }]);
  assert.deepEqual(args.envs, [`XDG_DATA_HOME=${LOCAL_CA_DATA_PATH}`]);
  const volumes = [{ volumeName: volume, containerPath: at }];
  const envs = [`XDG_DATA_HOME=${at}`];
  const name = `${RUN}-proxy-${randomBytes(2).toString("hex")}`;
  docker([
    "create", "--pull", "never", "--name", name,
    ...createFlags({ ...args, volumes, envs }, ["image", "command", "uploads", "ports", "networksAdvanced"]),
    "-p", `127.0.0.1::${PROXY_LISTEN.https}`, "--network", network, PROXY_IMAGE, ...(args.command as string[]),
  ]);
  for (const u of args.uploads as { file: string; content: string; permissions: string; owner?: string }[]) {
    assert.equal(u.owner, undefined, "no upload sets an owner: the daemon then looks no user up");
    upload(dir, name, u.file, u.content, u.permissions);
  }
  docker(["start", name]);
  return name;
}

function publishedHttps(proxy: string): number {
  const published = docker(["port", proxy, `${PROXY_LISTEN.https}/tcp`]).split("\n").find((l) => l.startsWith("127.0.0.1:"));
  assert.ok(published !== undefined, `${proxy} publishes ${PROXY_LISTEN.https} on 127.0.0.1`);
  return Number(published.split(":")[1]);
}

function fetchUp(port: number, ca?: Buffer): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, servername: "localhost", path: "/up", headers: { Host: "localhost:8443" }, ...(ca !== undefined ? { ca } : {}), timeout: 5000 }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end();
  });
}

/** `docker cp <proxy>:<caPath> <file>`, as the local stack's outputs tell a user to, once Caddy wrote it. */
async function copyRoot(proxy: string, file: string, deadline = Date.now() + 30000): Promise<Buffer> {
  for (;;) {
    const r = spawnSync("docker", ["cp", `${proxy}:${LOCAL_CA_ROOT_PATH}`, file], { encoding: "utf8" });
    if (r.status === 0) return readFileSync(file);
    if (Date.now() > deadline) throw new Error(`no ${LOCAL_CA_ROOT_PATH} in ${proxy}: ${r.stderr}; logs: ${spawnSync("docker", ["logs", proxy], { encoding: "utf8" }).stderr}`);
    await new Promise((res) => setTimeout(res, 250));
  }
}

async function servedWith(port: number, ca: Buffer, deadline = Date.now() + 30000): Promise<void> {
  for (;;) {
    const got = await fetchUp(port, ca);
    if ("status" in got) {
      assert.deepEqual(got, { status: 200, body: "up" });
      return;
    }
    if (Date.now() > deadline) throw new Error(`not served with the CA: ${got.error}`);
    await new Promise((res) => setTimeout(res, 250));
  }
}

/** The daemon resolves an upload's owner in this host's passwd: nobody must be 65534 here, as on the droplet (Ubuntu). */
function hostLacksNobody(): string | false {
  const r = spawnSync("getent", ["passwd", "65534"], { encoding: "utf8" });
  return r.status === 0 ? false : "this host's passwd has no uid 65534 (the daemon resolves upload owners there)";
}

const ownerOf = (volume: string) => docker(["run", "--rm", "--pull", "never", "--label", LABEL, "-v", `${volume}:/v`, STEP_IMAGE, "ls", "-ldn", "/v"]).split(/\s+/).slice(2, 4).join(":");

describe("Caddy's local CA on a Docker volume (real engine)", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), "docstown-ca-"));
  const network = `${RUN}-net`;
  before(() => {
    mkdirSync(join(dir, "proxy"));
    mkdirSync(join(dir, "step"));
    buildProxyImage(join(dir, "proxy"));
    buildStepImage(join(dir, "step"));
    docker(["network", "create", "--label", LABEL, network]);
    // The web alias the Caddyfile routes to: Caddy answering /up on Puma's port.
    docker(["run", "-d", "--pull", "never", "--label", LABEL, "--name", `${RUN}-web`, "--network", network, "--network-alias", WEB_ALIAS, "--user", "65534",
      PROXY_IMAGE, CADDY, "respond", "--listen", `:${PUMA_PORT}`, "up"]);
  });
  after(() => {
    const ids = spawnSync("docker", ["ps", "-aq", "--filter", `label=${LABEL}`], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    if (ids.length > 0) spawnSync("docker", ["rm", "-f", ...ids]);
    spawnSync("docker", ["network", "rm", network]);
    const volumes = spawnSync("docker", ["volume", "ls", "-q", "--filter", `label=${LABEL}`], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    if (volumes.length > 0) spawnSync("docker", ["volume", "rm", ...volumes]);
    spawnSync("docker", ["image", "rm", PROXY_IMAGE, STEP_IMAGE]);
    rmSync(dir, { recursive: true, force: true });
  });

  test("the step hands the volume to nobody, Caddy writes its CA there, the copied root verifies, a replaced proxy keeps the CA", { timeout: 120000 }, async () => {
    const volume = docker(["volume", "create", "--label", LABEL, `${RUN}-data`]);
    assert.equal(runOwnerStep(volume), 0, "the chown step exits 0 with CAP_CHOWN alone, no network, read-only");
    assert.equal(ownerOf(volume), "65534:65534");

    const first = startProxy(dir, volume, network);
    const root = await copyRoot(first, join(dir, "local-ca.crt"));
    await servedWith(publishedHttps(first), root);
    const untrusted = await fetchUp(publishedHttps(first));
    assert.ok("error" in untrusted, `a client without the root is refused, got ${JSON.stringify(untrusted)}`);

    // What a replacement does (deleteBeforeReplace): the old proxy goes, a new one mounts the same volume.
    docker(["rm", "-f", first]);
    const second = startProxy(dir, volume, network);
    const again = await copyRoot(second, join(dir, "local-ca-again.crt"));
    assert.ok(again.equals(root), "the same root certificate after the replacement");
    await servedWith(publishedHttps(second), root);
    assert.equal(ownerOf(volume), "65534:65534", "and the volume is still nobody's");
  });

  test("the proxy's bare uid takes an upload with an owner, as the provider sends it (CopyUIDGID); uid:gid fails the create", { skip: hostLacksNobody() }, () => {
    const args = proxyContainerArgs({
      image: PROXY_IMAGE, proxy: { host: "localhost", aliases: [], httpPort: 8080, httpsPort: 8443 },
      tls: { certificatePem: "cert", privateKeyPem: "key" }, network, memoryMb: 256, pidsLimit: 512, extraLabels: {},
    });
    const key = (args.uploads as { file: string; owner?: string; group?: string }[]).find((u) => u.owner !== undefined);
    assert.ok(key !== undefined, "the key upload has an owner");
    const withOwner = (user: string) => {
      const name = `${RUN}-upload-${randomBytes(2).toString("hex")}`;
      docker(["create", "--pull", "never", "--label", LABEL, "--name", name, "--user", user, PROXY_IMAGE, CADDY, "version"]);
      const staging = mkdtempSync(join(dir, "owned-"));
      writeFileSync(join(staging, "origin.key"), "key");
      // `docker cp -a` is the API's copyUIDGID, which the provider sets for an upload with an owner.
      const r = spawnSync("docker", ["cp", "-a", join(staging, "origin.key"), `${name}:/etc/caddy/origin.key`], { encoding: "utf8" });
      const owner = r.status === 0 ? execFileSync("tar", ["-tv", "--numeric-owner"], { input: execFileSync("docker", ["cp", `${name}:/etc/caddy/origin.key`, "-"]) }).toString().split(/\s+/)[1] : undefined;
      return { status: r.status, stderr: r.stderr, owner };
    };
    assert.deepEqual(withOwner(String(args.user)), { status: 0, stderr: "", owner: `${key.owner}/${key.group}` });
    const old = withOwner(PROXY_OWNER);
    assert.notEqual(old.status, 0);
    assert.match(old.stderr, /unable to find entry "65534:65534" in passwd database/);
  });

  test("control: mounted over the image's /data, the proxy's first mount copies its owner in and the volume is root's again", { timeout: 120000 }, async () => {
    const volume = docker(["volume", "create", "--label", LABEL, `${RUN}-copied`]);
    assert.equal(runOwnerStep(volume, CADDY_DATA_PATH), 0);
    assert.equal(ownerOf(volume), "65534:65534", "the step's image has no /data: nothing copied, the chown holds");
    const proxy = startProxy(dir, volume, network, CADDY_DATA_PATH);
    assert.equal(ownerOf(volume), "0:0", "copy-up gave the volume the image directory's owner");
    const exited = docker(["wait", proxy]);
    assert.notEqual(exited, "0", "so Caddy, as nobody, cannot start");
    assert.match(spawnSync("docker", ["logs", proxy], { encoding: "utf8" }).stderr, /permission denied/);
  });
});
