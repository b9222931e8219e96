// The Rails runtime contract as container environment: names, values, and which are secret.
import { test } from "node:test";
import assert from "node:assert/strict";
import { containerEnvs, roleEnvironment, runtimeEnvironment, withDatabaseUrls, type RuntimeEnvironmentInput } from "../../src/app/environment";
import { SECRET_ENV_NAMES } from "../../src/app/env-names";
import { validateConfig } from "../../src/config/validate";

const SECRETS = {
  railsMasterKey: "rmk", githubClientSecret: "gcs", githubApiToken: "gat", anthropicApiKey: "ant", openaiApiKey: "oai",
  moonshotApiKey: "moon", smtpUsername: "su", smtpPassword: "sp", sentryDsn: "dsn", missionControlPassword: "mcp",
};
const URLS = {
  DATABASE_URL: "postgresql://u:p@h:1/docstown_production", CACHE_DATABASE_URL: "postgresql://u:p@h:1/c",
  QUEUE_DATABASE_URL: "postgresql://u:p@h:1/q", CABLE_DATABASE_URL: "postgresql://u:p@h:1/cb",
};

function input(overrides: Partial<RuntimeEnvironmentInput> = {}): RuntimeEnvironmentInput {
  return {
    stack: "production",
    domain: "docstown.org",
    appHost: "docstown.org",
    mountPath: "/data/repos",
    app: { railsMaxThreads: 3, githubClientId: "Iv1.abc", missionControlUser: "admin", extraEnv: { FEATURE_X: "on" } },
    sentryTracesSampleRate: 0.1,
    secrets: SECRETS,
    mail: { smtp: { address: "smtp.postmarkapp.com", port: 587 }, from: "DocsTown <notifications@docstown.org>" },
    ...overrides,
  };
}

const full = () => withDatabaseUrls(runtimeEnvironment(input()), URLS);
const byName = (entries: ReturnType<typeof roleEnvironment>) => new Map(entries.map((e) => [e.name, e]));

test("every variable of the runtime contract, with its value and secrecy", () => {
  const env = byName(roleEnvironment(full(), { role: "web", release: "sha256:" + "a".repeat(64), jobConcurrency: 2, pumaPort: 3000 }));
  const plain: Record<string, string> = {
    RAILS_ENV: "production", RAILS_LOG_TO_STDOUT: "true", RAILS_MAX_THREADS: "3", GITHUB_CLIENT_ID: "Iv1.abc",
    SENTRY_ENVIRONMENT: "production", SENTRY_RELEASE: "sha256:" + "a".repeat(64), SENTRY_TRACES_SAMPLE_RATE: "0.1",
    MISSION_CONTROL_USER: "admin", APP_HOST: "docstown.org", DOMAIN: "docstown.org", REPOS_PATH: "/data/repos",
    TARGET_PORT: "3000", FEATURE_X: "on",
  };
  for (const [name, value] of Object.entries(plain)) {
    assert.equal(env.get(name)?.value, value, name);
    assert.equal(env.get(name)?.secret, false, `${name} is plain`);
  }
  const secret: Record<string, string> = {
    ...URLS, RAILS_MASTER_KEY: "rmk", GITHUB_CLIENT_SECRET: "gcs", GITHUB_API_TOKEN: "gat", ANTHROPIC_API_KEY: "ant",
    OPENAI_API_KEY: "oai", MOONSHOT_API_KEY: "moon", SMTP_USERNAME: "su", SMTP_PASSWORD: "sp", SENTRY_DSN: "dsn",
    MISSION_CONTROL_PASSWORD: "mcp", SMTP_ADDRESS: "smtp.postmarkapp.com", SMTP_PORT: "587",
    MAILER_FROM: "DocsTown <notifications@docstown.org>",
  };
  for (const [name, value] of Object.entries(secret)) {
    assert.equal(env.get(name)?.value, value, name);
    assert.equal(env.get(name)?.secret, true, `${name} is secret`);
  }
  assert.deepEqual([...env.keys()].filter((n) => !(n in plain) && !(n in secret)), [], "nothing else");
  assert.deepEqual(SECRET_ENV_NAMES.filter((n) => env.get(n)?.secret !== true), [], "every secret name is set as a secret");
});

test("role specifics: JOB_CONCURRENCY on the worker only, TARGET_PORT on web only, migrate sees the web environment", () => {
  const opts = { release: "sha256:" + "b".repeat(64), jobConcurrency: 4, pumaPort: 3000 };
  const web = byName(roleEnvironment(full(), { ...opts, role: "web" }));
  const worker = byName(roleEnvironment(full(), { ...opts, role: "worker" }));
  const migrate = byName(roleEnvironment(full(), { ...opts, role: "migrate" }));
  assert.equal(worker.get("JOB_CONCURRENCY")?.value, "4");
  assert.equal(web.has("JOB_CONCURRENCY"), false);
  assert.equal(migrate.has("JOB_CONCURRENCY"), false);
  assert.equal(worker.has("TARGET_PORT"), false);
  assert.deepEqual([...migrate.keys()].sort(), [...web.keys()].filter((n) => n !== "TARGET_PORT").sort());
  for (const e of [web, worker, migrate]) assert.equal(e.has("SOLID_QUEUE_IN_PUMA"), false);
});

test("absent optional secrets and mail are left out rather than set empty", () => {
  const env = byName(
    roleEnvironment(withDatabaseUrls(runtimeEnvironment(input({ secrets: { railsMasterKey: "rmk" }, mail: undefined })), URLS), {
      role: "web", release: "r", jobConcurrency: 1, pumaPort: 3000,
    }),
  );
  for (const name of ["SENTRY_DSN", "SMTP_ADDRESS", "SMTP_PORT", "MAILER_FROM", "GITHUB_API_TOKEN"]) assert.equal(env.has(name), false, name);
  assert.equal(env.get("RAILS_MASTER_KEY")?.secret, true);
});

test("SOLID_QUEUE_IN_PUMA and program-managed names are refused in extraEnv", () => {
  assert.throws(
    () => runtimeEnvironment(input({ app: { ...input().app, extraEnv: { SOLID_QUEUE_IN_PUMA: "false" } } })),
    /SOLID_QUEUE_IN_PUMA: must not be set; any value turns on the Solid Queue supervisor inside Puma/,
  );
  assert.throws(() => runtimeEnvironment(input({ app: { ...input().app, extraEnv: { RAILS_ENV: "staging" } } })), /RAILS_ENV: is set by the program/);
  assert.throws(() => withDatabaseUrls(withDatabaseUrls(runtimeEnvironment(input()), URLS), URLS), /DATABASE_URL is already set/);
});

test("config validation reports SOLID_QUEUE_IN_PUMA with its key, alongside other problems", () => {
  const result = validateConfig(
    {
      "docstown:target": "local",
      "docstown:app": JSON.stringify({ image: "ghcr.io/docstown/docstown", extraEnv: { SOLID_QUEUE_IN_PUMA: "false", REPOS_PATH: "/x" } }),
    },
    new Set(["railsMasterKey"]),
  );
  assert.equal(result.ok, false);
  const errors = result.ok ? [] : result.errors;
  assert.ok(
    errors.includes("docstown:app.extraEnv.SOLID_QUEUE_IN_PUMA: must not be set; any value turns on the Solid Queue supervisor inside Puma"),
    errors.join("\n"),
  );
  assert.ok(errors.includes("docstown:app.extraEnv.REPOS_PATH: is set by the program; remove it from app.extraEnv"), errors.join("\n"));
});

test("containerEnvs: plain entries are plain NAME=value strings, secret ones Outputs", () => {
  const envs = containerEnvs(roleEnvironment(full(), { role: "worker", release: "r", jobConcurrency: 1, pumaPort: 3000 }));
  assert.ok(envs.includes("RAILS_ENV=production"));
  assert.ok(!envs.some((e) => typeof e === "string" && e.startsWith("RAILS_MASTER_KEY=")), "the master key is never a plain string");
});
