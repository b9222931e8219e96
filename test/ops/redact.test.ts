// What ops prints passes through the redactor built from the release's environment.
import assert from "node:assert/strict";
import { test } from "node:test";
import { redactor, secretValues } from "../../src/ops/redact";

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
