// What ops prints: journal entries (the query, each line's role, time and message) and the
// redaction every printed line goes through.
import assert from "node:assert/strict";
import { test } from "node:test";
import { journalField, journaldLogging } from "../../src/app/logs";
import { journalctlArgv, journalLine } from "../../src/ops/journal";
import { redactor, secretValues } from "../../src/ops/redact";

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

const ENV = [
  "RAILS_ENV=production",
  "RAILS_MASTER_KEY=0123456789abcdef0123456789abcdef",
  "DATABASE_URL=postgresql://docstown:p%40ss-w0rd-long@db.internal:25060/docstown_production?sslmode=verify-full",
  "SMTP_PORT=587",
  "SENTRY_DSN=https://abcdef0123456789@o1.ingest.sentry.io/42",
  "MY_SERVICE_TOKEN=tok_live_abcdefgh",
  "APP_HOST=docstown.org",
];

test("secret values of the release: the program's secret names, secret-looking extra names, URL passwords; short values left alone", () => {
  const values = secretValues(ENV);
  for (const v of ["0123456789abcdef0123456789abcdef", "tok_live_abcdefgh", "p%40ss-w0rd-long", "p@ss-w0rd-long"]) assert.ok(values.includes(v), v);
  assert.ok(!values.includes("587") && !values.includes("production") && !values.includes("docstown.org"));
});

test("redaction: each value, encoded or not, and any URL's password, whoever's it is; the rest of the line stays", () => {
  const redact = redactor(secretValues(ENV));
  assert.equal(redact("boot key=0123456789abcdef0123456789abcdef env=production port 587"), "boot key=[redacted] env=production port 587");
  assert.equal(
    redact("PG::ConnectionBad: postgresql://docstown:p%40ss-w0rd-long@db.internal:25060/docstown_production failed"),
    "PG::ConnectionBad: postgresql://docstown:[redacted]@db.internal:25060/docstown_production failed",
  );
  assert.equal(redact("password is p@ss-w0rd-long"), "password is [redacted]");
  assert.equal(redact("redis://:other-secret@cache:6379/0"), "redis://:[redacted]@cache:6379/0");
  assert.equal(redact("GET /up 200 in 3ms"), "GET /up 200 in 3ms");
  assert.equal(redactor([])("https://user:pw@example.org/x"), "https://user:[redacted]@example.org/x");
});

test("journal field names are Docker's for the labels (the engine test reads them back); a tag Docker would read as a template is refused", () => {
  assert.equal(journalField("docstown.role"), "DOCSTOWN_ROLE");
  assert.equal(journalField("docstown.release"), "DOCSTOWN_RELEASE");
  assert.deepEqual(journaldLogging("docstown-production"), { logDriver: "journald", logOpts: { tag: "docstown-production", labels: "docstown.role,docstown.release" } });
  assert.throws(() => journaldLogging("{{.Name}}"), /not a plain journald tag/);
});
