import assert from "node:assert/strict";
import { test } from "node:test";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../../src/config/errors";
import { loadConfig, type DocsTownConfig } from "../../src/config/load";
import { SECRET_KEYS } from "../../src/config/secrets";
import { readStackFile } from "../../src/synth/stack-file";
import { PROJECT_DIR, recordProgram } from "../harness";

const production = readStackFile(resolve(PROJECT_DIR, "Pulumi.production.yaml"), true).config;

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
  }, { ...production, ...secrets }, []);
  const results = await Promise.all(checks);
  assert.equal(results.length, SECRET_KEYS.length);
  for (const [key, isSecret, value] of results) {
    assert.equal(isSecret, true, `${key} must be a secret even when the stack file holds it in plain text`);
    assert.equal(value, `value-of-${key}`);
  }
  assert.equal(loaded?.target, "digitalocean");
});

test("parsing applies defaults and keeps the stack identity", async () => {
  let loaded: DocsTownConfig | undefined;
  await recordProgram(() => {
    loaded = loadConfig();
    return {};
  }, production, []);
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
    }, bad, []),
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
