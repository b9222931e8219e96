import assert from "node:assert/strict";
import { test } from "node:test";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../../src/config/errors";
import { isConfigSecret, loadConfig, type DocsTownConfig } from "../../src/config/load";
import { SECRET_KEYS } from "../../src/config/secrets";
import { readStackFile } from "../../src/synth/stack-file";
import { PROJECT_DIR, recordProgram } from "../harness";

const stackFile = readStackFile(resolve(PROJECT_DIR, "Pulumi.production.yaml"), true);
const production = stackFile.config;
/** The placeholders stand for `secure:` values: the engine passes them as secret keys. */
const productionSecretKeys = stackFile.secretKeys;
const PLAIN = "docstown:githubApiToken: stored in plain text; set it with pulumi config set --secret docstown:githubApiToken <value>";

test("every secret key comes out of the config module as a secret Output", async () => {
  const secrets = Object.fromEntries(SECRET_KEYS.map((k) => [`docstown:${k}`, `value-of-${k}`]));
  let loaded: DocsTownConfig | undefined;
  const checks: Promise<[string, boolean, string]>[] = [];
  await recordProgram(() => {
    loaded = loadConfig();
    for (const key of SECRET_KEYS) {
      const value = loaded.secrets[key];
      assert.ok(value !== undefined, `${key} is loaded`);
      checks.push(Promise.all([
        Promise.resolve(key),
        pulumi.isSecret(value),
        new Promise<string>((done) => value.apply((v) => done(v))),
      ]));
    }
    return {};
  }, { ...production, ...secrets }, Object.keys(secrets));
  const results = await Promise.all(checks);
  assert.equal(results.length, SECRET_KEYS.length);
  for (const [key, isSecret, value] of results) {
    assert.equal(isSecret, true, `${key} must be a secret Output`);
    assert.equal(value, `value-of-${key}`);
  }
  assert.equal(loaded?.target, "digitalocean");
});

test("parsing applies defaults and keeps the stack identity", async () => {
  let loaded: DocsTownConfig | undefined;
  await recordProgram(() => {
    loaded = loadConfig();
    return {};
  }, production, productionSecretKeys);
  assert.ok(loaded?.target === "digitalocean");
  assert.equal(loaded.stack, "test");
  assert.equal(loaded.project, "docstown");
  assert.equal(loaded.volume.mountPath, "/data/repos");
  assert.equal(loaded.cloudflare.sslStrict, true);
  assert.equal(loaded.app.workerStopTimeoutSeconds, 120);
});

test("a bad config throws one ConfigError listing every problem, before anything is declared", async () => {
  const bad = { ...production, "docstown:region": "mars1", "docstown:volume": JSON.stringify({ sizeGb: 1 }) };
  let declaredAfter = false;
  await assert.rejects(
    recordProgram(() => {
      loadConfig();
      declaredAfter = true;
      return {};
    }, bad, productionSecretKeys),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.lines, [
        "docstown:region: must be one of nyc1, nyc3, sfo2, sfo3, ams3, sgp1, lon1, fra1, tor1, blr1, syd1, atl1",
        "docstown:volume.sizeGb: must be at least 10",
      ]);
      return true;
    },
  );
  assert.equal(declaredAfter, false);
});

test("the SDK tells encrypted config from plain (runtime.isConfigSecret)", async () => {
  const seen: Record<string, boolean> = {};
  await recordProgram(() => {
    for (const key of ["docstown:githubApiToken", "docstown:sentryDsn", "docstown:domain"]) seen[key] = isConfigSecret(key);
    return {};
  }, { "docstown:githubApiToken": "ghp_x", "docstown:sentryDsn": "https://k@h/1", "docstown:domain": "docstown.org" }, ["docstown:sentryDsn"]);
  assert.deepEqual(seen, { "docstown:githubApiToken": false, "docstown:sentryDsn": true, "docstown:domain": false });
});

/** Runs loadConfig under the mocks; the ConfigError's lines, or [] when it loads. */
async function refusal(config: Record<string, string>, secretKeys: string[]): Promise<{ lines: readonly string[]; declaredAfter: boolean }> {
  let declaredAfter = false;
  try {
    await recordProgram(() => {
      loadConfig();
      declaredAfter = true;
      return {};
    }, config, secretKeys);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return { lines: err.lines, declaredAfter };
  }
  return { lines: [], declaredAfter };
}

test("a secret written in plain text in the stack file is refused, naming the key, before anything is declared", async () => {
  // What `docstown:githubApiToken: ghp_…` in Pulumi.production.yaml reaches the program as: a
  // value the engine does not list among the secret keys.
  const config = { ...production, "docstown:githubApiToken": "ghp_plainTextTokenInGit" };
  const secretKeys = productionSecretKeys.filter((k) => k !== "docstown:githubApiToken");
  const { lines, declaredAfter } = await refusal(config, secretKeys);
  assert.deepEqual(lines, [PLAIN]);
  assert.equal(declaredAfter, false);
  // The same value set with --secret loads.
  assert.deepEqual((await refusal(config, productionSecretKeys)).lines, []);
});

test("plain-text secrets are reported together with the other problems", async () => {
  const config = { ...production, "docstown:githubApiToken": "ghp_x", "docstown:slackWebhookUrl": "https://hooks.slack.com/x", "docstown:region": "mars1" };
  const secretKeys = productionSecretKeys.filter((k) => k !== "docstown:githubApiToken");
  assert.deepEqual((await refusal(config, secretKeys)).lines, [
    PLAIN,
    "docstown:slackWebhookUrl: stored in plain text; set it with pulumi config set --secret docstown:slackWebhookUrl <value>",
    "docstown:region: must be one of nyc1, nyc3, sfo2, sfo3, ams3, sgp1, lon1, fra1, tor1, blr1, syd1, atl1",
  ]);
});

test("provider credentials in the stack config are refused, plain or encrypted", async () => {
  const config = { ...production, "digitalocean:token": "dop_v1_plain", "cloudflare:apiToken": "encrypted-in-the-file" };
  const { lines } = await refusal(config, [...productionSecretKeys, "cloudflare:apiToken"]);
  assert.deepEqual(lines, [
    "cloudflare:apiToken: kept in the stack config, where whoever can decrypt the stack can use it; remove it (pulumi config rm cloudflare:apiToken) and set CLOUDFLARE_API_TOKEN in the environment instead",
    "digitalocean:token: stored in plain text; remove it (pulumi config rm digitalocean:token) and set DIGITALOCEAN_TOKEN in the environment instead",
  ]);
});
