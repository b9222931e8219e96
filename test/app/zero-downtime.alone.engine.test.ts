// Zero-downtime deploys on a real Docker engine: the production Caddyfile in a proxy container,
// web containers behind the `web` alias, and a deploy done the way Pulumi does it (create the new
// web, wait for its health check, stop the old one with the grace period, remove it) while a load
// loop runs. A delete-before-create control shows the loop does notice downtime.
//
// Offline: the image is built `FROM scratch` out of this machine's binaries (Debian's caddy,
// which is dynamically linked, with its libraries; dash, bash and sleep for the web stand-in's
// boot delay and health probe). Like the official caddy image, its /usr/bin/caddy carries the file
// capability cap_net_bind_service=+ep (set inside the build with Debian's setcap: COPY drops
// extended attributes), which a proxy without that capability in its bounding set cannot exec.
// The proxy and web containers are created from the same functions the program declares them
// with (src/app/roles). Traffic goes only to 127.0.0.1 and the test's own bridge network.
// Without a Docker engine (`docker info` fails) every test is skipped with the reason.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import type * as pulumiDocker from "@pulumi/docker";
import {
  APP_GID, APP_UID, PROXY_GID, PROXY_LISTEN, PROXY_UID, PUMA_PORT, ROLE_LABEL, TLS_CERTIFICATE_PATH, TLS_KEY_PATH, WEB_ALIAS, hardening,
} from "../../src/app/containers";
import { proxyContainerArgs } from "../../src/app/roles/proxy";
import { webContainerArgs } from "../../src/app/roles/web";
import { productionSchema } from "../../src/config/schema";
import { skipUnlessCi } from "../demo/support";

const run = promisify(execFile);

// --- What the production stack uses (stacks/production.ts, src/config/schema.ts defaults). ---
const DOMAIN = "docstown.org";
const PROXY = { host: DOMAIN, aliases: [`www.${DOMAIN}`], httpPort: 80, httpsPort: 443, clientIpHeader: "CF-Connecting-IP" };
const SETTINGS = productionSchema.shape.app.parse({ image: "ghcr.io/docstown/docstown" });

// --- Test bounds. The whole file stays under 90 s: a few seconds of build, the proxy checks, two scenarios of ~20 s each. ---
/** Seconds the web stand-in takes before it listens, like a booting Puma (which refuses connections meanwhile). */
const BOOT_SECONDS = 8;
/** Each request's whole-exchange budget; a slower answer counts as a failure. */
const REQUEST_TIMEOUT_MS = 5000;
const REQUESTS_PER_SECOND = 20;
/** Load before the deploy starts, and after it ends. */
const LEAD_MS = 2000;
const TAIL_MS = 3000;
/** Cap on the wait for the new web's health (production: webBootTimeoutSeconds, 180 s). */
const HEALTHY_WITHIN_MS = 25000;
const SCENARIO_TIMEOUT_MS = 38000;

const CADDY = "/usr/bin/caddy";
/** The web stand-in's copy of caddy, without the file capability (a real Rails image must not carry one either). */
const WEB_SERVER = "/usr/local/bin/web-caddy";
const TOOLS = { caddy: CADDY, sh: "/bin/dash", bash: "/bin/bash", sleep: "/bin/sleep", setcap: "/usr/sbin/setcap", getcap: "/usr/sbin/getcap" } as const;
/** What the official image's Dockerfile sets on its binary (caddyserver/caddy-docker). */
const FILE_CAPABILITY = "cap_net_bind_service=+ep";

function firstLine(text: string | undefined): string {
  return (text ?? "").trim().split("\n").filter(Boolean).pop() ?? "";
}

function why(): string | false {
  const info = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { encoding: "utf8", timeout: 15000 });
  if (info.error !== undefined) return `no Docker engine: docker CLI not runnable (${info.error.message})`;
  if (info.status !== 0) return `no Docker engine: docker info failed (${firstLine(info.stderr) || `exit ${info.status}`})`;
  for (const path of Object.values(TOOLS)) if (!existsSync(path)) return `${path} is missing (apt-get install caddy dash bash coreutils libcap2-bin)`;
  if (spawnSync("ldd", [CADDY]).status === null) return "ldd is missing";
  if (spawnSync("openssl", ["version"]).status !== 0) return "openssl is not installed";
  if (spawnSync("tar", ["--version"]).status !== 0) return "tar is not installed";
  return false;
}
// Skipped with the reason where a tool is missing, except under CI=true, where that fails.
const skip = skipUnlessCi(why() || undefined);

const RUN_ID = randomBytes(4).toString("hex");
const PREFIX = `docstown-zdt-${RUN_ID}`;
const LABEL = `docstown.zdt=${RUN_ID}`;
const IMAGE = `${PREFIX}:caddy`;

function docker(args: string[], input?: Buffer): string {
  const r = spawnSync("docker", args, { encoding: "utf8", timeout: 30000, ...(input !== undefined ? { input } : {}) });
  if (r.status !== 0) throw new Error(`docker ${args.join(" ")} failed: ${r.error?.message ?? r.stderr.trim()}`);
  return r.stdout.trim();
}

async function dockerAsync(args: string[]): Promise<string> {
  try {
    return (await run("docker", args, { timeout: 40000 })).stdout.trim();
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`docker ${args.join(" ")} failed: ${err.stderr?.trim() || err.message}`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --- The image: caddy (+ its libraries), and dash/bash/sleep for the web stand-in. ---

/** Copies `binary` and the shared objects `ldd` lists into `root`, at the same paths. */
function copyWithLibraries(root: string, binary: string, as = binary): void {
  const put = (from: string, to: string) => {
    mkdirSync(join(root, dirname(to)), { recursive: true });
    copyFileSync(from, join(root, to));
    chmodSync(join(root, to), 0o755);
  };
  put(binary, as);
  const ldd = execFileSync("ldd", [binary], { encoding: "utf8" });
  for (const line of ldd.split("\n")) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m?.[1] !== undefined) put(m[1], m[1]);
  }
}

const WEB_CADDYFILE = `{
\tadmin off
\tauto_https off
}

:${PUMA_PORT} {
\trespond /up 200
\trespond "served by {env.WEB_NAME}" 200
}
`;

/** The web health check's probe (containers.ts curls /up at $(hostname):PUMA_PORT); bash's /dev/tcp stands in for curl. */
const UP_PROBE = `#!/bin/bash
exec 3<>"/dev/tcp/$HOSTNAME/${PUMA_PORT}" || exit 1
printf 'GET /up HTTP/1.1\\r\\nHost: %s\\r\\nX-Forwarded-Proto: https\\r\\nConnection: close\\r\\n\\r\\n' "$1" >&3
IFS= read -r -t 4 status <&3 || exit 1
[[ $status == "HTTP/1.1 200"* ]]
`;

function buildImage(dir: string): void {
  const root = join(dir, "rootfs");
  copyWithLibraries(root, TOOLS.caddy);
  copyWithLibraries(root, TOOLS.caddy, WEB_SERVER);
  copyWithLibraries(root, TOOLS.setcap);
  copyWithLibraries(root, TOOLS.getcap);
  copyWithLibraries(root, TOOLS.sh, "/bin/sh");
  copyWithLibraries(root, TOOLS.bash);
  copyWithLibraries(root, TOOLS.sleep);
  const [appUid, appGid, proxyUid, proxyGid] = [APP_UID, APP_GID, PROXY_UID, PROXY_GID];
  mkdirSync(join(root, "etc/web"), { recursive: true });
  writeFileSync(join(root, "etc/passwd"), `root:x:0:0:root:/:/bin/sh\nrails:x:${appUid}:${appGid}:rails:/data:/bin/sh\nnobody:x:${proxyUid}:${proxyGid}:nobody:/nonexistent:/bin/sh\n`);
  writeFileSync(join(root, "etc/group"), `root:x:0:\nrails:x:${appGid}:\nnogroup:x:${proxyGid}:\n`);
  writeFileSync(join(root, "etc/nsswitch.conf"), "hosts: files dns\n");
  writeFileSync(join(root, "etc/web/Caddyfile"), WEB_CADDYFILE);
  mkdirSync(join(root, "usr/local/bin"), { recursive: true });
  writeFileSync(join(root, "usr/local/bin/up-probe"), UP_PROBE, { mode: 0o755 });
  // Caddy's data and config directories, as in the official image; the proxy mounts tmpfs over them.
  for (const d of ["data", "config"]) {
    mkdirSync(join(root, d));
    chmodSync(join(root, d), 0o1777);
  }
  writeFileSync(join(dir, "Dockerfile"), [
    "FROM scratch",
    "COPY rootfs/ /",
    // As the official image does: the capability lives in the layer's security.capability xattr.
    `RUN ["${TOOLS.setcap}", "${FILE_CAPABILITY}", "${CADDY}"]`,
    "ENV PATH=/usr/local/bin:/usr/bin:/bin XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data",
    `LABEL ${LABEL}`,
    "",
  ].join("\n"));
  const r = spawnSync("docker", ["build", "-q", "-t", IMAGE, dir], { encoding: "utf8", timeout: 60000, env: { ...process.env, DOCKER_BUILDKIT: "0" } });
  if (r.status !== 0) throw new Error(`docker build failed: ${r.error?.message ?? r.stderr}`);
}

/** getcap's view of a binary inside the image, e.g. "/usr/bin/caddy cap_net_bind_service=ep". */
function fileCapabilities(binary: string): string {
  return docker(["run", "--rm", "--pull", "never", "--label", LABEL, "--entrypoint", TOOLS.getcap, IMAGE, binary]);
}

// --- TLS: a throwaway CA and the origin certificate for the domain. ---

interface Tls { caPem: string; certificatePem: string; privateKeyPem: string }

function makeTls(dir: string): Tls {
  const p = (f: string) => join(dir, f);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  const quiet = { stdio: "ignore" as const };
  execFileSync("openssl", ["req", "-x509", ...ec, "-days", "1", "-subj", "/CN=docstown-zdt test CA", "-keyout", p("ca.key"), "-out", p("ca.crt")], quiet);
  execFileSync("openssl", ["req", ...ec, "-subj", `/CN=${DOMAIN}`, "-keyout", p("origin.key"), "-out", p("origin.csr")], quiet);
  writeFileSync(p("origin.ext"), `subjectAltName=DNS:${DOMAIN},DNS:www.${DOMAIN}\nextendedKeyUsage=serverAuth\n`);
  execFileSync("openssl", [
    "x509", "-req", "-in", p("origin.csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"), "-CAcreateserial",
    "-days", "1", "-extfile", p("origin.ext"), "-out", p("origin.crt"),
  ], quiet);
  return { caPem: readFileSync(p("ca.crt"), "utf8"), certificatePem: readFileSync(p("origin.crt"), "utf8"), privateKeyPem: readFileSync(p("origin.key"), "utf8") };
}

// --- Containers, as src/app/rails-app.ts declares them. ---

const created = { containers: new Set<string>(), networks: new Set<string>() };

/** What createFlags translates; the rest each caller handles itself, or it is Pulumi-side only. */
const TRANSLATED = [
  "user", "init", "capabilities", "securityOpts", "logDriver", "logOpts", "memory", "memorySwap", "ulimits", "tmpfs", "restart",
  "sysctls", "stopTimeout",
] as const;

/**
 * `docker create` flags for the settings a role function declares (user, capabilities, security
 * options, limits, tmpfs, logging...), so the containers here run as the program declares them.
 * Every declared field must be translated here or named by the caller in `handled`.
 */
function createFlags(args: pulumiDocker.ContainerArgs, handled: readonly string[]): string[] {
  const unknown = Object.keys(args).filter((k) => !(TRANSLATED as readonly string[]).includes(k) && !handled.includes(k));
  if (unknown.length > 0) throw new Error(`the test does not translate ${unknown.join(", ")}: add it to createFlags`);
  const a = args as unknown as Record<string, unknown>;
  const caps = a["capabilities"] as { drops?: string[]; adds?: string[] } | undefined;
  const flags: string[] = [];
  if (a["user"] !== undefined) flags.push("--user", String(a["user"]));
  if (a["init"] === true) flags.push("--init");
  for (const c of caps?.drops ?? []) flags.push("--cap-drop", c);
  for (const c of caps?.adds ?? []) flags.push("--cap-add", c);
  for (const o of (a["securityOpts"] as string[] | undefined) ?? []) flags.push("--security-opt", o);
  if (a["logDriver"] !== undefined) flags.push("--log-driver", String(a["logDriver"]));
  for (const [k, v] of Object.entries((a["logOpts"] as Record<string, string> | undefined) ?? {})) flags.push("--log-opt", `${k}=${v}`);
  if (a["memory"] !== undefined) flags.push("--memory", `${String(a["memory"])}m`);
  if (a["memorySwap"] !== undefined) flags.push("--memory-swap", `${String(a["memorySwap"])}m`);
  for (const u of (a["ulimits"] as { name: string; soft: number; hard: number }[] | undefined) ?? []) flags.push("--ulimit", `${u.name}=${u.soft}:${u.hard}`);
  for (const [path, options] of Object.entries((a["tmpfs"] as Record<string, string> | undefined) ?? {})) flags.push("--tmpfs", `${path}:${options}`);
  if (a["restart"] !== undefined) flags.push("--restart", String(a["restart"]));
  for (const [k, v] of Object.entries((a["sysctls"] as Record<string, string> | undefined) ?? {})) flags.push("--sysctl", `${k}=${v}`);
  if (a["stopTimeout"] !== undefined) flags.push("--stop-timeout", String(a["stopTimeout"]));
  return flags;
}

/**
 * Like Pulumi's uploads: one tar per file, extracted at / into the created container before it
 * starts. Without `-a` (copyUIDGID) the engine keeps the tar header's owner and mode; with it,
 * Docker 20.10 would chown to the container's user and fails to look up a numeric "uid:gid".
 */
function upload(dir: string, container: string, file: string, content: string, mode: string, owner = "0:0"): void {
  const staging = mkdtempSync(join(dir, "upload-"));
  const rel = file.replace(/^\//, "");
  mkdirSync(join(staging, dirname(rel)), { recursive: true });
  writeFileSync(join(staging, rel), content, { mode: 0o600 });
  const [uid, gid] = owner.split(":");
  const tar = execFileSync("tar", ["-c", "-f", "-", "-C", staging, "--numeric-owner", `--owner=${uid}`, `--group=${gid}`, `--mode=${mode}`, rel]);
  docker(["cp", "-", `${container}:/`], tar);
  rmSync(staging, { recursive: true, force: true });
}

interface Proxy { name: string; httpsPort: number }

/** The proxy container exactly as the program declares it (src/app/roles/proxy.ts), with `capabilities` overridable for the control. */
function productionProxyArgs(tls: Tls, capabilities?: pulumiDocker.ContainerArgs["capabilities"]): pulumiDocker.ContainerArgs {
  const args = proxyContainerArgs({
    image: IMAGE, proxy: PROXY, tls, network: "app", memoryMb: SETTINGS.proxyMemoryMb, pidsLimit: SETTINGS.pidsLimit, extraLabels: {},
  });
  return capabilities === undefined ? args : { ...args, capabilities };
}

/** Creates the proxy (not started): the declared settings, uploads and command; ports on the loopback. */
function createProxy(dir: string, name: string, network: string, tls: Tls, args: pulumiDocker.ContainerArgs): void {
  created.containers.add(name);
  const contents: Record<string, string> = { [TLS_CERTIFICATE_PATH]: tls.certificatePem, [TLS_KEY_PATH]: tls.privateKeyPem };
  docker([
    "create", "--pull", "never", "--name", name, "--label", LABEL, "--label", `${ROLE_LABEL}=proxy`,
    ...createFlags(args, ["image", "command", "uploads", "ports", "networksAdvanced", "labels"]),
    // Published on the loopback only, on a port the engine picks.
    "-p", `127.0.0.1::${PROXY_LISTEN.http}`, "-p", `127.0.0.1::${PROXY_LISTEN.https}`,
    "--network", network,
    IMAGE, ...(args.command as string[]),
  ]);
  // The Caddyfile as rendered by the program; the certificate and key are this test's (same paths, modes, owner).
  for (const u of args.uploads as { file: string; content: unknown; permissions: string; owner?: string; group?: string }[]) {
    const content = typeof u.content === "string" ? u.content : contents[u.file];
    assert.ok(content !== undefined, `content for ${u.file}`);
    upload(dir, name, u.file, content, u.permissions, u.owner !== undefined ? `${u.owner}:${u.group ?? u.owner}` : "0:0");
  }
}

function startProxy(dir: string, scenario: string, network: string, tls: Tls): Proxy {
  const name = `${PREFIX}-${scenario}-proxy`;
  createProxy(dir, name, network, tls, productionProxyArgs(tls));
  docker(["start", name]);
  // Caddy either runs or died at once (an exec refused by the kernel): say which, with its output.
  spawnSync("sleep", ["0.5"]);
  const state = docker(["inspect", "--format", "{{.State.Status}} {{.RestartCount}}", name]);
  if (state !== "running 0") {
    const logs = spawnSync("docker", ["logs", name], { encoding: "utf8", timeout: 10000 });
    throw new Error(`the proxy does not run (${state}): ${`${logs.stdout}${logs.stderr}`.trim() || "no output"}`);
  }
  const published = docker(["port", name, `${PROXY_LISTEN.https}/tcp`]).split("\n").find((l) => l.startsWith("127.0.0.1:"));
  assert.ok(published, `proxy publishes ${PROXY_LISTEN.https} on 127.0.0.1`);
  return { name, httpsPort: Number(published.split(":")[1]) };
}

/** `docker create` + `docker start` of a web container with the production settings (rails-app.ts). */
async function startWeb(scenario: string, network: string, label: string, bootSeconds = BOOT_SECONDS): Promise<string> {
  const name = `${PREFIX}-${scenario}-web-${label}`;
  created.containers.add(name);
  const args = webContainerArgs({
    image: IMAGE, envs: [], networks: [], release: {}, pidsLimit: SETTINGS.pidsLimit, memoryMb: SETTINGS.webMemoryMb,
    host: DOMAIN, bootSeconds: SETTINGS.webBootTimeoutSeconds, stopSeconds: SETTINGS.webStopTimeoutSeconds,
    repos: { hostPath: "/data/repos" }, mountPath: "/data/repos",
  });
  const health = args.healthcheck as { interval: string; timeout: string; retries: number; startPeriod: string };
  await dockerAsync([
    "create", "--pull", "never", "--name", name, "--label", LABEL, "--label", `${ROLE_LABEL}=web`,
    // Pulumi-side settings (wait, destroy grace) are done by this test's deploy steps; no repos mount is needed here.
    ...createFlags(args, ["image", "command", "envs", "healthcheck", "wait", "waitTimeout", "destroyGraceSeconds", "networksAdvanced", "volumes", "labels"]),
    "--network", network, "--network-alias", WEB_ALIAS,
    // The production timings; only the probe differs (no curl in a scratch image).
    "--health-cmd", `up-probe ${DOMAIN}`,
    "--health-interval", health.interval, "--health-timeout", health.timeout,
    "--health-retries", String(health.retries), "--health-start-period", health.startPeriod,
    "-e", `WEB_NAME=${label}`, "-e", `BOOT_SECONDS=${bootSeconds}`,
    IMAGE, "/bin/sh", "-c", `sleep "$BOOT_SECONDS" && exec ${WEB_SERVER} run --config /etc/web/Caddyfile --adapter caddyfile`,
  ]);
  await dockerAsync(["start", name]);
  return name;
}

/** Pulumi's `wait: true`: poll the container's health until healthy. */
async function waitHealthy(name: string, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const status = await dockerAsync(["inspect", "--format", "{{.State.Status}} {{.State.Health.Status}}", name]);
    if (status === "running healthy") return;
    if (!status.startsWith("running") || Date.now() > deadline) throw new Error(`${name} is not healthy: ${status}`);
    await sleep(250);
  }
}

// --- Load. ---

interface Sample { sentAt: number; ms: number; status?: number; body?: string; error?: string }

const failed = (s: Sample) => s.error !== undefined || s.status !== 200 || !/^served by [AB]$/.test(s.body ?? "");

function get(port: number, agent: Agent): Promise<Omit<Sample, "sentAt" | "ms">> {
  return new Promise((resolve) => {
    const req = request(
      { host: "127.0.0.1", port, path: "/", servername: DOMAIN, agent, headers: { Host: DOMAIN, "CF-Connecting-IP": "198.51.100.7" } },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body });
        });
        res.on("error", (e) => resolve({ error: e.message }));
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
    req.on("error", (e) => {
      clearTimeout(timer);
      resolve({ error: e.message });
    });
    req.end();
  });
}

/** Sends REQUESTS_PER_SECOND requests a second (not waiting for answers) until `until()` says stop. */
async function load(port: number, ca: string, t0: number, until: () => boolean, capMs: number): Promise<Sample[]> {
  const agent = new Agent({ keepAlive: true, ca });
  const samples: Promise<Sample>[] = [];
  const start = Date.now();
  for (let i = 0; !until() && Date.now() - start < capMs; i++) {
    const sentAt = Date.now();
    samples.push(get(port, agent).then((r) => ({ sentAt: sentAt - t0, ms: Date.now() - sentAt, ...r })));
    await sleep(Math.max(0, start + ((i + 1) * 1000) / REQUESTS_PER_SECOND - Date.now()));
  }
  const all = await Promise.all(samples);
  agent.destroy();
  return all;
}

async function waitServedBy(port: number, ca: string, who: string, withinMs: number): Promise<void> {
  const agent = new Agent({ ca });
  const deadline = Date.now() + withinMs;
  try {
    for (;;) {
      const r = await get(port, agent);
      if (r.status === 200 && r.body === `served by ${who}`) return;
      if (Date.now() > deadline) throw new Error(`not served by ${who}: ${r.error ?? `${r.status} ${r.body}`}`);
      await sleep(200);
    }
  } finally {
    agent.destroy();
  }
}

function summary(samples: Sample[]): string {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const pct = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? 0;
  const count = (who: string) => samples.filter((s) => s.body === `served by ${who}`).length;
  return `${samples.length} requests, A ${count("A")}, B ${count("B")}, failed ${samples.filter(failed).length}; ` +
    `latency p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${ms[ms.length - 1] ?? 0} ms`;
}

/** Requests that took over a second, as "sent at (ms from load start) +latency". */
function slow(samples: Sample[]): string {
  const list = samples.filter((s) => s.ms > 1000).map((s) => `${s.sentAt}+${s.ms}${s.body !== undefined ? ` ${s.body.slice(-1)}` : ""}`);
  return `${list.length} slower than 1 s${list.length > 0 ? `: ${list.slice(0, 25).join(", ")}${list.length > 25 ? ", ..." : ""}` : ""}`;
}

function describeFailures(samples: Sample[]): string {
  const kinds = new Map<string, number>();
  for (const s of samples.filter(failed)) {
    const k = s.error ?? `HTTP ${s.status} ${JSON.stringify((s.body ?? "").slice(0, 60))}`;
    kinds.set(k, (kinds.get(k) ?? 0) + 1);
  }
  return [...kinds].map(([k, n]) => `${n}x ${k}`).join("; ");
}

/** A network, the proxy and web A answering through it. */
async function scenarioSetup(dir: string, scenario: string, tls: Tls): Promise<{ network: string; proxy: Proxy; a: string }> {
  const network = `${PREFIX}-${scenario}`;
  created.networks.add(network);
  docker(["network", "create", "--driver", "bridge", "--label", LABEL, "--label", "docstown.network=app", network]);
  const proxy = startProxy(dir, scenario, network, tls);
  // The running release: no boot delay, and serving is all that matters (its health check needs 5 s).
  const a = await startWeb(scenario, network, "A", 0);
  await waitServedBy(proxy.httpsPort, tls.caPem, "A", 15000);
  return { network, proxy, a };
}

function cleanup(): void {
  const q = (args: string[]) => spawnSync("docker", args, { encoding: "utf8", timeout: 30000 });
  const labelled = (kind: "ps" | "network") =>
    (kind === "ps" ? q(["ps", "-aq", "--filter", `label=${LABEL}`]) : q(["network", "ls", "-q", "--filter", `label=${LABEL}`])).stdout?.split("\n").filter(Boolean) ?? [];
  const containers = [...new Set([...created.containers, ...labelled("ps")])];
  if (containers.length > 0) q(["rm", "-f", "-v", ...containers]);
  const networks = [...new Set([...created.networks, ...labelled("network")])];
  if (networks.length > 0) q(["network", "rm", ...networks]);
  q(["rmi", "-f", IMAGE]);
}

describe("zero-downtime deploy on a real Docker engine", () => {
  let dir = "";
  let tls: Tls;

  before(() => {
    if (skip) return;
    dir = mkdtempSync(join(tmpdir(), `${PREFIX}-`));
    buildImage(dir);
    tls = makeTls(dir);
  }, { timeout: 30000 });

  after(() => {
    if (skip) return;
    cleanup();
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  test("the image is built like the official one: its caddy carries cap_net_bind_service=+ep (the web stand-in's copy carries none)", { skip }, () => {
    assert.match(fileCapabilities(CADDY), /^\/usr\/bin\/caddy cap_net_bind_service=ep$/);
    assert.equal(fileCapabilities(WEB_SERVER), "", "no file capability on what the web role execs");
  });

  test("the proxy, created with exactly the production settings (user, capabilities, security options, tmpfs, limits), runs and serves", { skip, timeout: SCENARIO_TIMEOUT_MS }, async () => {
    const { proxy } = await scenarioSetup(dir, "caps", tls);
    const args = productionProxyArgs(tls);
    const inspect = (format: string) => docker(["inspect", "--format", format, proxy.name]);
    assert.equal(inspect("{{.State.Status}} {{.RestartCount}}"), "running 0");
    assert.equal(inspect("{{.Config.User}}"), String(args.user));
    const caps = args.capabilities as { drops: string[]; adds: string[] };
    // Declared as the daemon reads them back (CAP_*, ALL): what inspect shows is what was declared.
    const names = (format: string) => JSON.parse(inspect(format)) as string[];
    assert.deepEqual(names("{{json .HostConfig.CapDrop}}"), caps.drops);
    assert.deepEqual(names("{{json .HostConfig.CapAdd}}"), caps.adds);
    assert.deepEqual(JSON.parse(inspect("{{json .HostConfig.SecurityOpt}}")), args.securityOpts, "no-new-privileges stays on");
    // Caddy runs unprivileged: only NET_BIND_SERVICE may be in its bounding set, and it holds no effective capability it could use beyond it.
    const status = docker(["exec", proxy.name, "/bin/bash", "-c", 'while IFS= read -r l; do case $l in CapBnd*|NoNewPrivs*) echo "$l";; esac; done < /proc/1/status']);
    assert.match(status, /CapBnd:\s+0000000000000400/, "bounding set = CAP_NET_BIND_SERVICE only");
    assert.match(status, /NoNewPrivs:\s+1/);
  });

  test("control: the same proxy with every capability dropped (the settings before the fix) cannot exec caddy", { skip, timeout: SCENARIO_TIMEOUT_MS }, async () => {
    const network = `${PREFIX}-nocaps`;
    created.networks.add(network);
    docker(["network", "create", "--driver", "bridge", "--label", LABEL, network]);
    const name = `${PREFIX}-nocaps-proxy`;
    createProxy(dir, name, network, tls, productionProxyArgs(tls, hardening().capabilities));
    docker(["start", name]);
    let logs = "";
    for (const deadline = Date.now() + 15000; Date.now() < deadline; await sleep(250)) {
      const r = spawnSync("docker", ["logs", name], { encoding: "utf8", timeout: 10000 });
      logs = `${r.stdout}${r.stderr}`;
      if (logs.includes("operation not permitted")) break;
    }
    assert.match(logs, /exec \/usr\/bin\/caddy: operation not permitted/);
    assert.notEqual(docker(["inspect", "--format", "{{.State.Status}} {{.RestartCount}}", name]), "running 0", "it never runs");
  });

  test("create-before-delete: the new web joins the alias, turns healthy, the old one stops with its grace period; no request fails", { skip, timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
    const { network, proxy, a } = await scenarioSetup(dir, "cbd", tls);
    const t0 = Date.now();
    const at: Record<string, number> = {};
    const mark = (k: string) => (at[k] = Date.now() - t0);
    let stopAt = Infinity;
    const loadDone = load(proxy.httpsPort, tls.caPem, t0, () => Date.now() >= stopAt, 30000);

    let b = "";
    try {
      await sleep(LEAD_MS);
      mark("createB");
      b = await startWeb("cbd", network, "B");
      mark("startedB");
      await waitHealthy(b, HEALTHY_WITHIN_MS);
      mark("healthyB");
      await dockerAsync(["stop", "--time", String(SETTINGS.webStopTimeoutSeconds), a]);
      mark("stoppedA");
      await dockerAsync(["rm", "-f", "-v", a]);
      mark("removedA");
    } finally {
      stopAt = Date.now() + TAIL_MS;
    }
    const samples = await loadDone;

    t.diagnostic(`timeline (ms from load start): ${JSON.stringify(at)}`);
    t.diagnostic(summary(samples));
    t.diagnostic(slow(samples));
    const failures = samples.filter(failed);
    assert.equal(failures.length, 0, `requests failed during the deploy: ${describeFailures(samples)}\n${JSON.stringify(failures.slice(0, 10))}`);

    const ok = samples.filter((s) => !failed(s)).sort((x, y) => x.sentAt - y.sentAt);
    assert.equal(ok[0]?.body, "served by A", "A served before the deploy");
    assert.ok(ok.filter((s) => s.sentAt < (at["createB"] ?? 0)).every((s) => s.body === "served by A"), "only A before B exists");
    assert.ok(ok.some((s) => s.sentAt < (at["healthyB"] ?? 0) && s.body === "served by B"), "B takes traffic beside A before A stops");
    const afterRemoval = ok.filter((s) => s.sentAt > (at["removedA"] ?? Infinity));
    assert.ok(afterRemoval.length >= 20, `load kept running after A was removed (${afterRemoval.length} requests)`);
    assert.ok(afterRemoval.every((s) => s.body === "served by B"), "only B once A is gone");

    // The end state: only B behind the alias, answering every request.
    const members = docker(["network", "inspect", "--format", "{{range .Containers}}{{.Name}} {{end}}", network]).split(" ").filter(Boolean).sort();
    assert.deepEqual(members, [b, proxy.name].sort());
    const agent = new Agent({ ca: tls.caPem });
    const end = await Promise.all(Array.from({ length: 10 }, () => get(proxy.httpsPort, agent)));
    agent.destroy();
    assert.deepEqual(end.map((r) => r.body), Array(10).fill("served by B"));
  });

  test("control: delete-before-create (old web killed before the new one is up) is seen as failed requests", { skip, timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
    const { network, proxy, a } = await scenarioSetup(dir, "dbc", tls);
    const t0 = Date.now();
    const at: Record<string, number> = {};
    const mark = (k: string) => (at[k] = Date.now() - t0);
    let stopAt = Infinity;
    const loadDone = load(proxy.httpsPort, tls.caPem, t0, () => Date.now() >= stopAt, 30000);

    try {
      await sleep(LEAD_MS);
      mark("killA");
      await dockerAsync(["rm", "-f", "-v", a]);
      mark("removedA");
      const b = await startWeb("dbc", network, "B");
      mark("startedB");
      await waitHealthy(b, HEALTHY_WITHIN_MS);
      mark("healthyB");
    } finally {
      stopAt = Date.now() + TAIL_MS;
    }
    const samples = await loadDone;

    t.diagnostic(`timeline (ms from load start): ${JSON.stringify(at)}`);
    t.diagnostic(summary(samples));
    t.diagnostic(`failures: ${describeFailures(samples) || "none"}`);
    assert.ok(samples.filter(failed).length > 0, "a gap with no web container must show up as failed requests");
    assert.equal(samples.filter((s) => s.sentAt > (at["healthyB"] ?? Infinity)).filter(failed).length, 0, "B serves once healthy");
  });
});
