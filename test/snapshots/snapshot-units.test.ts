// What cloud-init installs for the daily snapshot, and how pulumi up hands the script its token.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { before, test } from "node:test";
import { cloudConfig } from "../../src/server/cloud-init";
import type { RecordedResource } from "../../src/synth/recorder";
import {
  INSTALL_CONFIG_COMMAND, SNAPSHOT_CALENDAR, SNAPSHOT_CONFIG_FILE, SNAPSHOT_SCRIPT_PATH, SNAPSHOT_SUDOERS_PATH, SNAPSHOT_UNIT, readSnapshotScript,
} from "../../src/snapshots/units";
import { isSecretPath, synthStack } from "../harness";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOperatorOneKeyxxxxxxxxxxxxxxxxxxxxxxxxxxx ada@docstown";
type File = { path: string; permissions: string; content: string };

test("the volume's droplet gets the script, service, timer and one sudoers line; a web host none of it", () => {
  const config = cloudConfig({ sshPublicKeys: [KEY], volumeName: "docstown-repos", mountPath: "/data/repos", swapGb: 0 }) as { write_files: File[]; runcmd: string[][]; packages: string[] };
  const file = (p: string) => config.write_files.find((f) => f.path === p);
  assert.equal(file(SNAPSHOT_SCRIPT_PATH)?.content, readSnapshotScript());
  assert.equal(file(SNAPSHOT_SCRIPT_PATH)?.permissions, "0755");
  const service = file(`/etc/systemd/system/${SNAPSHOT_UNIT}.service`)?.content ?? "";
  assert.match(service, /^ExecStart=\/usr\/local\/sbin\/docstown-volume-snapshot run docstown-repos \/data\/repos$/m);
  assert.match(service, /^ExecStopPost=\/usr\/local\/sbin\/docstown-volume-snapshot thaw \/data\/repos$/m);
  assert.match(file(`/etc/systemd/system/${SNAPSHOT_UNIT}.timer`)?.content ?? "", /^Persistent=true$/m);
  assert.equal(file(SNAPSHOT_SUDOERS_PATH)?.content, `deploy ALL=(root) NOPASSWD: ${SNAPSHOT_SCRIPT_PATH} install-config\n`);
  assert.equal(file(SNAPSHOT_SUDOERS_PATH)?.permissions, "0440");
  assert.ok(config.runcmd.some((c) => c.join(" ") === `systemctl enable --now ${SNAPSHOT_UNIT}.timer`));
  assert.ok(config.packages.includes("jq"));
  assert.ok(!JSON.stringify(config).includes(SNAPSHOT_CONFIG_FILE.replace("/etc/docstown/", "DIGITALOCEAN_TOKEN=")), "no token in user-data");

  const web = cloudConfig({ sshPublicKeys: [KEY], swapGb: 0 }) as { write_files: File[]; runcmd: string[][] };
  assert.ok(!JSON.stringify(web).includes(SNAPSHOT_UNIT));
});

const hasAnalyze = spawnSync("systemd-analyze", ["--version"], { stdio: "ignore" }).status === 0;
test("systemd parses the timer's calendar", { skip: hasAnalyze ? false : "systemd-analyze is not installed" }, () => {
  const r = spawnSync("systemd-analyze", ["calendar", SNAPSHOT_CALENDAR], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Normalized form: \*-\*-\* 03:30:00 UTC/);
});

let config: RecordedResource;
before(async () => {
  const graph = await synthStack("production");
  const found = graph.resources.find((r) => r.name === "docstown-snapshot-config");
  assert.ok(found, "no docstown-snapshot-config command");
  config = found;
});

test("pulumi up sends the token on stdin, as a secret, to the one command deploy may sudo, again for each droplet", () => {
  const inputs = config.inputs as Record<string, unknown>;
  assert.equal(inputs["create"], INSTALL_CONFIG_COMMAND);
  assert.ok(isSecretPath(config, "stdin"), "stdin must be a secret");
  assert.ok(!String(inputs["create"]).includes("placeholder"), "no secret on the command line");
  assert.deepEqual(config.propertyDependencies["triggers"], ["urn:pulumi:production::docstown::docstown:server:Server$digitalocean:index/droplet:Droplet::docstown-droplet"]);
  assert.ok(config.dependencies.some((u) => u.endsWith("::docstown-ready")), "after the droplet is ready (cloud-init done)");
});
