// Reading the journal: the query and how each entry is printed.
import assert from "node:assert/strict";
import { test } from "node:test";
import { journalctlArgv, journalLine } from "../../src/ops/journal";

test("journalctl: the stack's tag, the roles ORed, the release ANDed, since/lines/follow", () => {
  assert.deepEqual(journalctlArgv({ tag: "docstown-production", roles: ["web"], release: `sha256:${"a".repeat(64)}`, since: 1796469375, lines: 0, follow: true }), [
    "journalctl", "--no-pager", "--output", "json", "SYSLOG_IDENTIFIER=docstown-production", "DOCSTOWN_ROLE=web", `DOCSTOWN_RELEASE=sha256:${"a".repeat(64)}`, "--since", "@1796469375", "--follow",
  ]);
  assert.deepEqual(journalctlArgv({ tag: "t", roles: [], lines: 100, follow: false }), ["journalctl", "--no-pager", "--output", "json", "SYSLOG_IDENTIFIER=t", "--lines", "100"]);
});

test("an entry as printed: role, time, message; byte-array messages decoded; what is not an entry skipped", () => {
  // As journalctl printed an entry of Docker's journald driver on this machine (fields trimmed).
  const entry = { MESSAGE: "hello-one", DOCSTOWN_ROLE: "web", DOCSTOWN_RELEASE: "sha256:abc", CONTAINER_NAME: "opsh-j1", __REALTIME_TIMESTAMP: "1796469375109148", PRIORITY: "6" };
  assert.equal(journalLine(JSON.stringify(entry)), "web     2026-12-05T11:16:15Z | hello-one");
  assert.equal(journalLine(JSON.stringify({ ...entry, MESSAGE: [104, 105, 255], DOCSTOWN_ROLE: "worker" })), "worker  2026-12-05T11:16:15Z | hi\ufffd");
  assert.equal(journalLine("-- No entries --"), undefined);
});
