import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { describeKeys } from "../../src/config/describe";
import { emailSchema } from "../../src/email/schema";
import { SECRET_KEYS } from "../../src/config/secrets";
import { PROJECT_DIR } from "../harness";

const projectFile = readFileSync(join(PROJECT_DIR, "Pulumi.yaml"), "utf8");
const documented = new Set([...projectFile.matchAll(/docstown:([A-Za-z0-9.]+)/g)].map((m) => (m[1] ?? "").replace(/\.$/, "")));

/** Every key a user can set: leaf paths of both stack schemas, every email provider's keys, every secret. */
function settableKeys(): string[] {
  const keys = describeKeys();
  const leaves = keys.filter((k) => !keys.some((other) => other.path.startsWith(`${k.path}.`))).map((k) => k.path);
  const emailKeys = emailSchema.options.flatMap((option) => Object.keys(option.shape).map((k) => `email.${k}`));
  const emailNested = ["email.dmarc.policy", "email.dmarc.reportEmail", "email.smtp.address", "email.smtp.port"];
  return [...new Set([...leaves.filter((k) => k !== "email"), ...emailKeys, ...emailNested, ...SECRET_KEYS])]
    .filter((k) => k !== "email.dmarc" && k !== "email.smtp");
}

test("Pulumi.yaml documents every key the program reads", () => {
  const missing = settableKeys().filter((k) => !documented.has(k));
  assert.deepEqual(missing, []);
});

test("Pulumi.yaml documents no key the program does not read", () => {
  const known = new Set(settableKeys());
  const stale = [...documented].filter((k) => !known.has(k) && !settableKeys().some((s) => s.startsWith(`${k}.`)));
  assert.deepEqual(stale, []);
});

test("the production stack file's comment lists the command for every secret it needs", () => {
  const production = readFileSync(join(PROJECT_DIR, "Pulumi.production.yaml"), "utf8");
  for (const key of SECRET_KEYS.filter((k) => k !== "localPostgresPassword")) {
    assert.match(production, new RegExp(`pulumi config set --secret docstown:${key} `), key);
  }
});

test("the README's key list is the one in Pulumi.yaml", () => {
  const lines = projectFile.split("\n");
  const start = lines.findIndex((l) => l.startsWith("# key "));
  const end = lines.map((l) => l.startsWith("# docstown:")).lastIndexOf(true);
  const block = lines.slice(start, end + 1).map((l) => l.replace(/^# ?/, "")).join("\n");
  const readme = readFileSync(join(PROJECT_DIR, "README.md"), "utf8");
  assert.ok(start >= 0 && end > start);
  assert.ok(readme.includes(`\`\`\`text\n${block}\n\`\`\``), "README.md's key list differs from Pulumi.yaml's");
});
