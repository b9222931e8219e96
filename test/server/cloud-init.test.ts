// The droplet's user-data: parsed back and checked for what the host relies on, validated by the
// real `cloud-init schema`, its systemd unit by systemd's own tools, and its shell by shellcheck.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import {
  DOCKER_DAEMON_CONFIG, MOUNT_SCRIPT_PATH, MOUNT_SCRIPT_SOURCE, MOUNT_UNIT, SSHD_DROP_IN, mountUnit, renderCloudInit,
  systemdEscapePath, volumeDevicePath, type CloudInitInput,
} from "../../src/server/cloud-init";
import { hostKeyFromOutput, knownHostsLine, readinessScript } from "../../src/server/readiness";
import { findVolumeMount } from "../../policies/user-data";

const KEYS = [
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOperatorOneKeyxxxxxxxxxxxxxxxxxxxxxxxxxxx ada@docstown",
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOperatorTwoKeyxxxxxxxxxxxxxxxxxxxxxxxxxxx bob@docstown",
];
const INPUT: CloudInitInput = { sshPublicKeys: KEYS, volumeName: "docstown-repos", mountPath: "/data/repos", swapGb: 2 };
const DEVICE = "/dev/disk/by-id/scsi-0DO_Volume_docstown-repos";

interface WriteFile { path: string; content: string; permissions?: string; owner?: string; defer?: boolean }
interface User { name: string; groups: string[]; ssh_authorized_keys: string[]; lock_passwd: boolean; shell: string }
interface CloudConfig {
  bootcmd: string[][];
  users: User[];
  disable_root: boolean;
  ssh_pwauth: boolean;
  packages: string[];
  package_update: boolean;
  swap?: { filename: string; size: string; maxsize: string };
  write_files: WriteFile[];
  runcmd: string[][];
}

function rendered(input: CloudInitInput = INPUT): { text: string; config: CloudConfig } {
  const text = renderCloudInit(input);
  return { text, config: parse(text) as CloudConfig };
}

function file(config: CloudConfig, p: string): WriteFile {
  const found = config.write_files.find((f) => f.path === p);
  assert.ok(found, `write_files has no ${p}`);
  return found;
}

function has(cmd: string): boolean {
  return spawnSync("sh", ["-c", 'command -v "$1"', "sh", cmd], { stdio: "ignore" }).status === 0;
}

function tmpDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cloud-init-test-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("user-data is a #cloud-config document", () => {
  const { text } = rendered();
  assert.equal(text.split("\n")[0], "#cloud-config");
});

test("the repos volume is mounted at every boot by a unit that runs the shipped script before Docker", () => {
  const { config } = rendered();
  const script = file(config, MOUNT_SCRIPT_PATH);
  assert.equal(script.permissions, "0755");
  assert.equal(script.content, fs.readFileSync(MOUNT_SCRIPT_SOURCE, "utf8"), "the script shipped is src/server/mount-volume.sh, byte for byte");
  // The script writes the fstab entry with the agreed options itself.
  assert.match(script.content, /defaults,nofail,discard,noatime/);

  const unit = file(config, `/etc/systemd/system/${MOUNT_UNIT}`).content;
  assert.match(unit, new RegExp(`^ExecStart=${MOUNT_SCRIPT_PATH} ${DEVICE} /data/repos 1000:1000$`, "m"));
  assert.match(unit, /^Before=docker\.service$/m);
  assert.match(unit, /^Type=oneshot$/m);
  const wantedBy = /^WantedBy=(.*)$/m.exec(unit)?.[1]?.split(" ") ?? [];
  assert.ok(wantedBy.includes("multi-user.target"), "runs at every boot");
  assert.ok(wantedBy.includes("dev-disk-by\\x2did-scsi\\x2d0DO_Volume_docstown\\x2drepos.device"), "runs again when the device appears late");

  assert.deepEqual(config.runcmd.find((c) => c.includes(MOUNT_UNIT)), ["systemctl", "enable", "--now", MOUNT_UNIT]);
  const daemonReload = config.runcmd.findIndex((c) => c.join(" ") === "systemctl daemon-reload");
  const enable = config.runcmd.findIndex((c) => c.includes(MOUNT_UNIT));
  assert.ok(daemonReload >= 0 && daemonReload < enable, "systemd reads the new unit before it is enabled");
});

test("the policy pack's user-data reader sees the volume mounted with nofail", () => {
  assert.equal(findVolumeMount(rendered().text, "docstown-repos", "/data/repos"), "mounted");
  assert.equal(findVolumeMount(rendered({ ...INPUT, volumeName: "other-vol" }).text, "docstown-repos", "/data/repos"), "not-mounted");
});

test("device path and mount path follow the volume settings", () => {
  const { config } = rendered({ ...INPUT, volumeName: "repos-eu", mountPath: "/srv/repos" });
  assert.equal(volumeDevicePath("repos-eu"), "/dev/disk/by-id/scsi-0DO_Volume_repos-eu");
  const unit = file(config, `/etc/systemd/system/${MOUNT_UNIT}`).content;
  assert.match(unit, /^ExecStart=\S+ \/dev\/disk\/by-id\/scsi-0DO_Volume_repos-eu \/srv\/repos 1000:1000$/m);
});

test("unit names are escaped exactly as systemd-escape --path does", { skip: has("systemd-escape") ? false : "systemd-escape is not installed" }, () => {
  for (const p of [DEVICE, "/dev/disk/by-id/scsi-0DO_Volume_a1-b2-c3", "/data/repos", "/.hidden/x.y", "/a_b:c/d"]) {
    const r = spawnSync("systemd-escape", ["--path", p], { encoding: "utf8" });
    assert.equal(systemdEscapePath(p), r.stdout.trim(), p);
  }
});

test("Docker: docker.io installed and enabled, daemon.json with log rotation and live-restore", () => {
  const { config } = rendered();
  assert.ok(config.packages.includes("docker.io"));
  assert.ok(config.package_update);
  assert.ok(config.runcmd.some((c) => c.join(" ") === "systemctl enable --now docker.service"));
  const daemon = JSON.parse(file(config, "/etc/docker/daemon.json").content) as Record<string, unknown>;
  assert.deepEqual(daemon, DOCKER_DAEMON_CONFIG);
  assert.equal(daemon["log-driver"], "local");
  assert.deepEqual(daemon["log-opts"], { "max-size": "10m", "max-file": "5" });
  assert.equal(daemon["live-restore"], true);
  assert.notEqual(file(config, "/etc/docker/daemon.json").defer, true, "written before dockerd first starts");
});

test("deploy user: in the docker group, operators' keys, no password; docker is a system group made first", () => {
  const { config } = rendered();
  assert.equal(config.users.length, 1, "no default user (ubuntu) is created");
  const [deploy] = config.users;
  assert.equal(deploy?.name, "deploy");
  // systemd-journal: journalctl without sudo, for npm run ops -- logs (the app logs to the journal).
  assert.deepEqual(deploy?.groups, ["docker", "systemd-journal"]);
  assert.deepEqual(deploy?.ssh_authorized_keys, KEYS);
  assert.equal(deploy?.lock_passwd, true);
  assert.deepEqual(config.bootcmd, [["groupadd", "--system", "--force", "docker"]]);
});

test("SSH hardening: no root login, no passwords, drop-in read before cloud-init's own", () => {
  const { config } = rendered();
  assert.equal(config.ssh_pwauth, false);
  assert.equal(config.disable_root, true);
  const dropIn = file(config, SSHD_DROP_IN);
  assert.match(dropIn.content, /^PermitRootLogin no$/m);
  assert.match(dropIn.content, /^PasswordAuthentication no$/m);
  assert.ok(path.basename(SSHD_DROP_IN) < "50-cloud-init.conf", "sshd keeps the first value it reads");
  assert.equal(path.dirname(SSHD_DROP_IN), "/etc/ssh/sshd_config.d");
});

test("unattended security upgrades are on", () => {
  const { config } = rendered();
  assert.ok(config.packages.includes("unattended-upgrades"));
  const auto = file(config, "/etc/apt/apt.conf.d/20auto-upgrades");
  assert.match(auto.content, /^APT::Periodic::Update-Package-Lists "1";$/m);
  assert.match(auto.content, /^APT::Periodic::Unattended-Upgrade "1";$/m);
});

test("swap file sized from droplet.swapGb, none when 0", () => {
  assert.deepEqual(rendered({ ...INPUT, swapGb: 4 }).config.swap, { filename: "/swapfile", size: "4G", maxsize: "4G" });
  const none = rendered({ ...INPUT, swapGb: 0 });
  assert.equal(none.config.swap, undefined);
  assert.doesNotMatch(none.text, /swapfile/);
});

test("the renderer takes plain values only and refuses what would break the unit or the script", () => {
  // Compile-time: an Output (a secret in particular) cannot be passed in. tsc checks these lines.
  // @ts-expect-error a Pulumi Output is not a string
  assert.throws(() => renderCloudInit({ ...INPUT, volumeName: pulumi.secret("docstown-repos") }));
  // @ts-expect-error a Pulumi Output is not a string
  assert.throws(() => renderCloudInit({ ...INPUT, sshPublicKeys: [pulumi.secret(KEYS[0])] }));
  assert.throws(() => renderCloudInit({ ...INPUT, mountPath: "/data/my repos" }), /invalid mount path/);
  assert.throws(() => renderCloudInit({ ...INPUT, sshPublicKeys: [] }), /at least one SSH public key/);
  assert.throws(() => renderCloudInit({ ...INPUT, sshPublicKeys: [`${KEYS[0]}\nPermitRootLogin yes`] }), /single-line/);
});

test("rendering is stable: the same settings give the same bytes (a change would replace the droplet)", () => {
  assert.equal(renderCloudInit(INPUT), renderCloudInit({ ...INPUT, sshPublicKeys: [...KEYS] }));
  assert.ok(Buffer.byteLength(renderCloudInit(INPUT)) < 64 * 1024, "DigitalOcean caps user-data at 64 KiB");
});

const hasCloudInit = fs.existsSync("/usr/bin/cloud-init") || has("cloud-init");

test("cloud-init schema accepts the rendered user-data", { skip: hasCloudInit ? false : "cloud-init is not installed (apt-get install cloud-init)" }, (t) => {
  const dir = tmpDir(t);
  const run = (text: string) => {
    const f = path.join(dir, "user-data.yaml");
    fs.writeFileSync(f, text);
    return spawnSync("cloud-init", ["schema", "--config-file", f], { encoding: "utf8" });
  };
  for (const input of [INPUT, { ...INPUT, swapGb: 0 }]) {
    const r = run(renderCloudInit(input));
    assert.equal(r.status, 0, `cloud-init schema failed:\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /Valid cloud-config/);
  }
  // Control: the validator does reject a broken document, so a pass above means something.
  const broken = renderCloudInit(INPUT).replace("size: 2G", "size: two gigabytes");
  assert.notEqual(run(broken).status, 0, "cloud-init schema should reject a malformed swap size");
});

const hasSystemd = has("systemd-analyze") && has("systemctl") && fs.existsSync("/usr/lib/systemd/system/multi-user.target");

test("the mount unit passes systemd-analyze verify and enable hooks it to boot and to the device", { skip: hasSystemd ? false : "systemd tools are not installed" }, (t) => {
  const root = tmpDir(t);
  const unitDir = path.join(root, "etc/systemd/system");
  fs.mkdirSync(unitDir, { recursive: true });
  fs.mkdirSync(path.join(root, "usr/lib/systemd"), { recursive: true });
  fs.cpSync("/usr/lib/systemd/system", path.join(root, "usr/lib/systemd/system"), { recursive: true, verbatimSymlinks: true });
  fs.mkdirSync(path.join(root, path.dirname(MOUNT_SCRIPT_PATH)), { recursive: true });
  fs.copyFileSync(MOUNT_SCRIPT_SOURCE, path.join(root, MOUNT_SCRIPT_PATH));
  fs.chmodSync(path.join(root, MOUNT_SCRIPT_PATH), 0o755);
  const unitFile = path.join(unitDir, MOUNT_UNIT);
  fs.writeFileSync(unitFile, mountUnit("docstown-repos", "/data/repos"));

  const verify = spawnSync("systemd-analyze", ["verify", `--root=${root}`, "--man=no", unitFile], { encoding: "utf8" });
  assert.equal(verify.status, 0, verify.stderr);
  // verify reports unknown keys and bad values as warnings only.
  assert.equal(verify.stderr.trim(), "", `systemd-analyze verify warned:\n${verify.stderr}`);

  const enable = spawnSync("systemctl", [`--root=${root}`, "enable", MOUNT_UNIT], { encoding: "utf8" });
  assert.equal(enable.status, 0, enable.stderr);
  const device = `${systemdEscapePath(DEVICE)}.device`;
  // The links are absolute paths inside the root: read them rather than follow them.
  const link = (wants: string) => {
    const p = path.join(unitDir, wants, MOUNT_UNIT);
    return fs.lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink() ? fs.readlinkSync(p) : undefined;
  };
  assert.equal(link("multi-user.target.wants"), `/etc/systemd/system/${MOUNT_UNIT}`, "enabled for boot");
  assert.equal(link(`${device}.wants`), `/etc/systemd/system/${MOUNT_UNIT}`, `started when ${device} appears`);
});

const hasShellcheck = has("shellcheck");

test("shellcheck passes on the readiness script and the shipped mount script", { skip: hasShellcheck ? false : "shellcheck is not installed" }, () => {
  const check = (source: string, shell: string) => spawnSync("shellcheck", ["-s", shell, "-"], { input: source, encoding: "utf8" });
  for (const mp of ["/data/repos", "/srv/it's"]) {
    const r = check(readinessScript(mp), "sh");
    assert.equal(r.status, 0, `readiness script:\n${r.stdout}`);
  }
  const script = file(rendered().config, MOUNT_SCRIPT_PATH).content;
  const r = check(script, "sh");
  assert.equal(r.status, 0, `mount script as shipped:\n${r.stdout}`);
});

/** Runs the readiness script with stub `cloud-init`, `docker`, `mountpoint` on PATH. */
function runReadiness(t: { after: (fn: () => void) => void }, stubs: { docker: number; mountpoint: number }) {
  const dir = tmpDir(t);
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  const stub = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  stub("cloud-init", 'echo "status: done"');
  stub("docker", `exit ${stubs.docker}`);
  stub("mountpoint", `[ "$2" = /data/repos ] && exit ${stubs.mountpoint}; exit 1`);
  stub("sleep", "exit 0");
  const hostKeyFile = path.join(dir, "ssh_host_ed25519_key.pub");
  fs.writeFileSync(hostKeyFile, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx root@docstown\n");
  const script = readinessScript("/data/repos", { mountWaitSeconds: 3, hostKeyFile });
  return spawnSync("sh", ["-c", script], { encoding: "utf8", env: { PATH: `${bin}:/usr/bin:/bin` } });
}

test("readiness: succeeds only with Docker up and the volume mounted, and prints the host key", (t) => {
  const ok = runReadiness(t, { docker: 0, mountpoint: 0 });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(hostKeyFromOutput(ok.stdout), "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");

  const unmounted = runReadiness(t, { docker: 0, mountpoint: 1 });
  assert.notEqual(unmounted.status, 0, "an unmounted /data/repos must fail the deploy");
  assert.match(unmounted.stderr, /\/data\/repos is not mounted/);
  assert.equal(unmounted.stdout, "");

  const noDocker = runReadiness(t, { docker: 1, mountpoint: 0 });
  assert.notEqual(noDocker.status, 0);
  assert.match(noDocker.stderr, /Docker daemon does not answer/);
});

test("host key parsing: last ed25519 line, comment dropped; nothing when absent", () => {
  assert.equal(hostKeyFromOutput("noise\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIabc+/= root@host\n"), "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIabc+/=");
  assert.equal(hostKeyFromOutput(""), undefined);
  assert.equal(hostKeyFromOutput("ssh-rsa AAAAB3Nza root@host"), undefined);
  assert.equal(knownHostsLine("203.0.113.7", "ssh-ed25519 AAAAC3"), "203.0.113.7 ssh-ed25519 AAAAC3");
  assert.equal(knownHostsLine("203.0.113.7", undefined), "");
});

test("old images are pruned weekly, never the ones used in the last 30 days", () => {
  const { config } = rendered();
  const service = file(config, "/etc/systemd/system/docstown-image-prune.service").content;
  const timer = file(config, "/etc/systemd/system/docstown-image-prune.timer").content;
  assert.match(service, /^ExecStart=\/usr\/bin\/docker image prune --all --force --filter until=720h$/m);
  assert.doesNotMatch(service, /volume|system prune/, "volumes and containers are never pruned");
  assert.match(timer, /^OnCalendar=weekly$/m);
  assert.ok(config.runcmd.some((c) => c.join(" ") === "systemctl enable --now docstown-image-prune.timer"));
});

test("journal: persistent, 30 days and 2 GiB at most, written by cloud-init and read by journald on its restart", () => {
  const { config } = rendered();
  const dropIn = file(config, "/etc/systemd/journald.conf.d/50-docstown.conf");
  assert.equal(dropIn.owner, "root:root");
  const settings = Object.fromEntries(dropIn.content.split("\n").filter((l) => l.includes("=")).map((l) => l.split("=") as [string, string]));
  assert.deepEqual(settings, {
    Storage: "persistent", Compress: "yes", SystemMaxUse: "2G", SystemKeepFree: "4G", SystemMaxFileSize: "128M",
    MaxRetentionSec: "30day", RateLimitIntervalSec: "30s", RateLimitBurst: "50000",
  });
  assert.equal(dropIn.content.split("\n")[0], "[Journal]");
  const restart = config.runcmd.findIndex((c) => c.join(" ") === "systemctl restart systemd-journald");
  const docker = config.runcmd.findIndex((c) => c.join(" ") === "systemctl enable --now docker.service");
  assert.ok(restart >= 0 && restart < docker, "journald reads the drop-in before the containers start logging");
});
