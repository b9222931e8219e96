// The two first-deploy blockers the mocks could not see, through the real engine, our Docker plugin
// and a real daemon: the proxy exactly as the program declares it (production's form: certificate
// files uploaded, the key with an owner) is created and stays unchanged across a refresh, while the
// forms the program used before fail in the ways users would have met:
// - `user: "65534:65534"` beside uploads: the create fails (the daemon looks the string up in passwd);
// - capabilities without `CAP_`: a refresh reads them back prefixed, and the next up replaces.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { caddyVersion } from "../../engine/local/images";
import { REPO_ROOT } from "../../engine/targets";
import { dockerMissing, freePort } from "../demo/support";
import { engine } from "./engine-test";
import { smokeProject, type SmokeProject } from "./smoke-program";

const PLUGINS = ["pulumi-language-nodejs", "pulumi-resource-docker"];
const BIN_DIR = engine.found ? engine.binDir : "";
const reason = dockerMissing() ?? (!engine.found ? engine.reason : PLUGINS.find((p) => !fs.existsSync(path.join(BIN_DIR, p))) ? "the Docker plugin is not built (npm run engine)" : undefined);
const CADDY_IMAGE = `docstown-caddy:${caddyVersion(fs.readFileSync(path.join(REPO_ROOT, "demo", "caddy", "go.mod"), "utf8"))}`;

/** The proxy as src/app/roles/proxy.ts declares it, with `variant` bending one property back. */
const PROGRAM = `
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { proxyContainerArgs } from ${JSON.stringify(path.join(REPO_ROOT, "src", "app", "roles", "proxy"))};

const config = new pulumi.Config();
const variant = config.require("variant");
const network = new docker.Network("net", { driver: "bridge" });
const args = proxyContainerArgs({
  image: config.require("image"),
  proxy: { host: "localhost", aliases: [], httpPort: config.requireNumber("httpPort"), httpsPort: config.requireNumber("httpsPort") },
  tls: { certificatePem: config.require("certificate"), privateKeyPem: config.requireSecret("key") },
  network: network.name, memoryMb: 128, pidsLimit: 256, extraLabels: {},
});
if (variant === "uid-gid-user") args.user = "65534:65534";
if (variant === "unprefixed-capabilities") args.capabilities = { drops: ["ALL"], adds: ["NET_BIND_SERVICE"] };
// Published ports: a replacement must stop the old proxy first, as declareProxy does.
export const proxy = new docker.Container("proxy", args, { deleteBeforeReplace: true }).name;
`;

function selfSigned(dir: string): { certificate: string; key: string } {
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=localhost",
    "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")], { stdio: "ignore" });
  return { certificate: fs.readFileSync(path.join(dir, "cert.pem"), "utf8"), key: fs.readFileSync(path.join(dir, "key.pem"), "utf8") };
}

describe("the proxy's user and capabilities through the real plugin and daemon", { skip: process.env.CI !== "true" && reason !== undefined ? reason : false }, () => {
  let project: SmokeProject;
  let pem: { certificate: string; key: string };

  before(async () => {
    assert.equal(reason, undefined, `CI=true and ${reason}`);
    if (spawnSync("docker", ["image", "inspect", CADDY_IMAGE], { stdio: "ignore" }).status !== 0) {
      execFileSync("bash", [path.join(REPO_ROOT, "demo", "build.sh"), "--only", "proxy"], { stdio: "ignore", timeout: 1_500_000 });
    }
    project = smokeProject(BIN_DIR, "daemon-forms", ["@pulumi/docker"], PROGRAM);
    pem = selfSigned(fs.mkdtempSync(path.join(os.tmpdir(), "docstown-forms-")));
    project.pulumi(["stack", "init", "forms"]);
    // Values on stdin: a PEM starts with dashes, which the CLI would read as flags.
    const set = (key: string, value: string, secret = false) => {
      const r = spawnSync(path.join(BIN_DIR, "pulumi"), ["config", "set", ...(secret ? ["--secret"] : []), key, "--non-interactive"], { cwd: project.dir, env: project.env, input: value, encoding: "utf8" });
      assert.equal(r.status, 0, `config set ${key}: ${r.stderr}`);
    };
    set("image", CADDY_IMAGE);
    set("httpPort", String(await freePort()));
    set("httpsPort", String(await freePort()));
    set("certificate", pem.certificate);
    set("key", pem.key, true);
  });

  after(() => {
    if (project === undefined) return;
    spawnSync(path.join(BIN_DIR, "pulumi"), ["destroy", "--yes", "--skip-preview", "--non-interactive"], { cwd: project.dir, env: project.env, stdio: "ignore" });
    project.cleanup();
  });

  const run = (args: string[]) => spawnSync(path.join(BIN_DIR, "pulumi"), [...args, "--non-interactive"], { cwd: project.dir, env: project.env, encoding: "utf8", timeout: 600_000 });

  test("as declared: created, running as 65534:65534 with only NET_BIND_SERVICE, and unchanged after a refresh", { timeout: 900_000 }, () => {
    project.pulumi(["config", "set", "variant", "program"]);
    project.pulumi(["up", "--yes", "--skip-preview"]);
    const name = project.pulumi(["stack", "output", "proxy"]).trim();
    const pid = execFileSync("docker", ["inspect", "--format", "{{.State.Pid}}", name], { encoding: "utf8" }).trim();
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    assert.match(status, /^Uid:\s+65534\s+65534\s+65534\s+65534$/m);
    assert.match(status, /^Gid:\s+65534\s+65534\s+65534\s+65534$/m, "the image's passwd gives uid 65534 its own group, not 0");
    assert.match(status, /^Groups:\s+65534\s*$/m);
    assert.match(status, /^CapBnd:\s+0000000000000400$/m, "only CAP_NET_BIND_SERVICE (bit 10) is in the bounding set");
    assert.match(status, /^NoNewPrivs:\s+1$/m);
    project.pulumi(["refresh", "--yes", "--skip-preview"]);
    const preview = run(["preview", "--expect-no-changes", "--diff"]);
    assert.equal(preview.status, 0, `a refresh left something to do:\n${preview.stdout}\n${preview.stderr}`);
  });

  test("control: the former user 65534:65534 beside the uploads fails the create", { timeout: 900_000 }, () => {
    project.pulumi(["config", "set", "variant", "uid-gid-user"]);
    const up = run(["up", "--yes", "--skip-preview"]);
    assert.notEqual(up.status, 0);
    assert.match(`${up.stdout}\n${up.stderr}`, /unable to find entry "65534:65534" in passwd database/);
  });

  test("control: the former unprefixed capability comes back with CAP_ after a refresh, and the next up would replace the proxy", { timeout: 900_000 }, () => {
    project.pulumi(["config", "set", "variant", "unprefixed-capabilities"]);
    project.pulumi(["up", "--yes", "--skip-preview"]);
    assert.equal(run(["preview", "--expect-no-changes"]).status, 0, "clean before any refresh: the state holds what was sent");
    project.pulumi(["refresh", "--yes", "--skip-preview"]);
    const preview = run(["preview", "--expect-no-changes", "--diff"]);
    assert.notEqual(preview.status, 0, "after a refresh the unprefixed name differs from what the daemon reports");
    assert.match(preview.stdout, /replace/);
    assert.match(preview.stdout, /CAP_NET_BIND_SERVICE/);
  });
});
