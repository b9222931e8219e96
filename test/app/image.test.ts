// Image references: what is resolved, and what is pulled.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseImageReference, pinnedName } from "../../src/app/image";

const D = "sha256:" + "c".repeat(64);

test("parses repository, tag and digest, keeping a registry port out of the tag", () => {
  assert.deepEqual(parseImageReference("caddy:2.8"), { repository: "caddy", tag: "2.8" });
  assert.deepEqual(parseImageReference("ghcr.io/docstown/docstown"), { repository: "ghcr.io/docstown/docstown" });
  assert.deepEqual(parseImageReference("registry.local:5000/docstown:dev"), { repository: "registry.local:5000/docstown", tag: "dev" });
  assert.deepEqual(parseImageReference("registry.local:5000/docstown"), { repository: "registry.local:5000/docstown" });
  assert.deepEqual(parseImageReference(`postgres:17@${D}`), { repository: "postgres", tag: "17", digest: D });
  assert.deepEqual(parseImageReference(`ghcr.io/docstown/docstown@${D}`), { repository: "ghcr.io/docstown/docstown", digest: D });
});

test("refuses malformed digests", () => {
  assert.throws(() => parseImageReference("caddy@sha256:abc"), /not a sha256 digest/);
  assert.throws(() => pinnedName("caddy", "latest"), /not a sha256 digest/);
  assert.equal(pinnedName("ghcr.io/docstown/docstown", D), `ghcr.io/docstown/docstown@${D}`);
});
