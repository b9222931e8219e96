// SSH options of the Docker provider: the droplet's host key is pinned once known.
import { test } from "node:test";
import assert from "node:assert/strict";
import { dockerSshOptions } from "../../src/app/docker-host";

const LINE = "203.0.113.7 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKuDfcvZZOf9WFQBu0fMJYiVhcg14d58/dQXWv/mkfGY";

function option(opts: string[], key: string): string | undefined {
  for (let i = 0; i < opts.length - 1; i++) {
    if (opts[i] === "-o" && opts[i + 1]?.startsWith(`${key}=`)) return opts[i + 1]?.slice(key.length + 1);
  }
  return undefined;
}

test("a known host key is the only key ssh trusts", () => {
  const opts = dockerSshOptions(LINE);
  assert.equal(option(opts, "StrictHostKeyChecking"), "yes");
  assert.equal(option(opts, "UserKnownHostsFile"), "/dev/null");
  assert.equal(option(opts, "KnownHostsCommand"), `/bin/echo ${LINE}`);
  assert.equal(option(opts, "BatchMode"), "yes");
});

test("without a key the first one seen is accepted, a changed one refused", () => {
  const opts = dockerSshOptions("");
  assert.equal(option(opts, "StrictHostKeyChecking"), "accept-new");
  assert.equal(option(opts, "KnownHostsCommand"), undefined);
});

test("anything but an ed25519 known_hosts line is refused rather than passed to ssh", () => {
  assert.throws(() => dockerSshOptions("203.0.113.7 ssh-ed25519 AAAA; rm -rf /"), /not a known_hosts line/);
});
