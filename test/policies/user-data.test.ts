import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { describe, test } from "node:test";
import { findVolumeMount } from "../../policies/user-data";
import { USER_DATA, USER_DATA_WITHOUT_MOUNT } from "./fixtures";

const DEVICE = "/dev/disk/by-id/scsi-0DO_Volume_docstown-repos";
const mount = (userData: string) => findVolumeMount(userData, "docstown-repos", "/data/repos");

const SCRIPT = `#!/bin/sh
set -eu
OPTS=defaults,nofail,discard,noatime
echo "$1 $2 ext4 $OPTS 0 2" >> /etc/fstab
`;

describe("findVolumeMount", () => {
  test("cloud-init mounts entry, flow style (the fixture)", () => {
    assert.equal(mount(USER_DATA), "mounted");
    assert.equal(mount(USER_DATA_WITHOUT_MOUNT), "not-mounted");
  });

  test("cloud-init mounts entry, block style", () => {
    const userData = `#cloud-config
mounts:
  - - ${DEVICE}
    - /data/repos
    - ext4
    - defaults,nofail,discard,noatime
    - "0"
    - "2"
`;
    assert.equal(mount(userData), "mounted");
    assert.equal(mount(userData.replace("defaults,nofail,discard,noatime", "defaults")), "mounted-without-nofail");
  });

  test("an fstab line written by runcmd", () => {
    assert.equal(mount(`#cloud-config\nruncmd:\n  - echo '${DEVICE} /data/repos ext4 defaults,nofail 0 2' >> /etc/fstab\n`), "mounted");
  });

  test("a helper script call; nofail comes from the script carried in write_files", () => {
    const userData = `#cloud-config
write_files:
  - path: /usr/local/sbin/mount-volume
    permissions: "0755"
    content: |
${SCRIPT.split("\n").map((l) => `      ${l}`).join("\n")}
bootcmd:
  - [ /usr/local/sbin/mount-volume, ${DEVICE}, /data/repos, "1000:1000" ]
`;
    assert.equal(mount(userData), "mounted");
    assert.equal(mount(userData.replace("defaults,nofail,discard,noatime", "defaults")), "mounted-without-nofail");
  });

  test("a helper call in block style with a base64 (and gzip+base64) script", () => {
    const call = `runcmd:
  - - /usr/local/sbin/mount-volume
    - ${DEVICE}
    - /data/repos
    - "1000:1000"
`;
    const b64 = `#cloud-config\nwrite_files:\n  - path: /usr/local/sbin/mount-volume\n    encoding: b64\n    content: ${Buffer.from(SCRIPT).toString("base64")}\n${call}`;
    assert.equal(mount(b64), "mounted");
    const gz = `#cloud-config\nwrite_files:\n  - path: /usr/local/sbin/mount-volume\n    encoding: gz+b64\n    content: ${gzipSync(SCRIPT).toString("base64")}\n${call}`;
    assert.equal(mount(gz), "mounted");
  });

  test("a systemd mount unit", () => {
    const userData = `#cloud-config
write_files:
  - path: /etc/systemd/system/data-repos.mount
    content: |
      [Unit]
      Description=DocsTown repos

      [Mount]
      What=${DEVICE}
      Where=/data/repos
      Type=ext4
      Options=defaults,nofail

      [Install]
      WantedBy=multi-user.target
`;
    assert.equal(mount(userData), "mounted");
    assert.equal(mount(userData.replace("Where=/data/repos", "Where=/srv/repos")), "not-mounted");
  });

  test("comments, other mount points and nearby unrelated lines do not count", () => {
    assert.equal(mount(`#cloud-config\n# mounts:\n#  - [ ${DEVICE}, /data/repos, ext4, "defaults,nofail" ]\n`), "not-mounted");
    assert.equal(mount(`#cloud-config\nmounts:\n  - [ ${DEVICE}, /data/repos-old, ext4, "defaults,nofail" ]\n`), "not-mounted");
    assert.equal(mount(`#cloud-config\nmounts:\n  - [ ${DEVICE}, /mnt/data/repos, ext4, "defaults,nofail" ]\n`), "not-mounted");
    assert.equal(
      mount(`#cloud-config\nruncmd:\n  - echo '${DEVICE} /mnt/other ext4 defaults,nofail 0 2' >> /etc/fstab\n  - mkdir -p /data/repos\n`),
      "not-mounted",
    );
  });

  test("the volume name must match; without a known name any DigitalOcean volume device counts", () => {
    const other = USER_DATA.replace("docstown-repos,", "docstown-repos-2,");
    assert.equal(mount(other), "not-mounted");
    assert.equal(findVolumeMount(other, undefined, "/data/repos"), "mounted");
    assert.equal(findVolumeMount(USER_DATA.replace(DEVICE, "/dev/sda1"), undefined, "/data/repos"), "not-mounted");
  });
});
