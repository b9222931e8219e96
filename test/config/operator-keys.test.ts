// A bad operators key list is refused by config validation, before any resource is declared: a
// list that drops the deploy key (the live list or the bootstrap one), a missing bootstrap list,
// a fingerprint that is not one. The committed production config passes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { sshKeyFingerprint } from "../../src/config/ssh-fingerprint";
import { errorsWith, operators } from "./production-config";

const committedKey = (operators["sshPublicKeys"] as string[])[0] as string;
const other = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGrdYdoP6xMv5M5zdsUZR/6ZzvkvoKuXwcz2oRltoNfC bob@docstown";

test("the committed config names its deploy key by the fingerprint ssh-add -l prints for it", () => {
  assert.deepEqual(errorsWith("operators", {}), []);
  assert.equal(operators["deployKey"], sshKeyFingerprint(committedKey));
});

test("adding and removing operators is valid as long as the deploy key stays", () => {
  assert.deepEqual(errorsWith("operators", { sshPublicKeys: [committedKey, other] }), []);
  assert.deepEqual(errorsWith("operators", { sshPublicKeys: [other, committedKey.replace("replace-me-example@", "renamed@")] }), []);
});

test("a live list without the deploy key is refused: it would lock the deploy out of the running droplet", () => {
  assert.deepEqual(errorsWith("operators", { sshPublicKeys: [other] }), [
    `docstown:operators.sshPublicKeys: holds no key with fingerprint ${sshKeyFingerprint(committedKey)} (operators.deployKey, the key pulumi up ` +
      "connects with): this list replaces the running droplet's authorized_keys, so the deploy would lock itself out. Keep that key, or " +
      "first make another key in the list the deploy key",
  ]);
});

test("a bootstrap list without the deploy key is refused: a new droplet would not let the deploy in", () => {
  assert.deepEqual(errorsWith("operators", { bootstrapSshPublicKeys: [other] }), [
    `docstown:operators.bootstrapSshPublicKeys: holds no key with fingerprint ${sshKeyFingerprint(committedKey)} (operators.deployKey, ` +
      "the key pulumi up connects with): a new droplet would not let the deploy in",
  ]);
});

test("a stack without bootstrapSshPublicKeys is told what to copy there, not just that it is required", () => {
  const { bootstrapSshPublicKeys: _dropped, ...withoutBootstrap } = operators;
  const errors = errorsWith("operators", { ...withoutBootstrap, bootstrapSshPublicKeys: undefined });
  assert.equal(errors.length, 1, errors.join("\n"));
  assert.match(errors[0] ?? "", /^docstown:operators\.bootstrapSshPublicKeys: is required: the keys a new droplet is created with .*copy operators\.sshPublicKeys as it was at its last pulumi up/);
});

test("deployKey must be a SHA256 fingerprint; empty lists and malformed keys keep their own messages", () => {
  assert.deepEqual(errorsWith("operators", { deployKey: "MD5:ab:cd" }), [
    "docstown:operators.deployKey: must be a SHA256 fingerprint as ssh-add -l prints it (SHA256: and 43 characters)",
  ]);
  const emptied = errorsWith("operators", { sshPublicKeys: [] });
  assert.ok(emptied.includes("docstown:operators.sshPublicKeys: needs at least one key"), emptied.join("\n"));
  const truncated = errorsWith("operators", { sshPublicKeys: [committedKey, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 x"] });
  assert.equal(truncated.length, 1, truncated.join("\n"));
  assert.match(truncated[0] ?? "", /^docstown:operators\.sshPublicKeys\[1\]: /);
});
