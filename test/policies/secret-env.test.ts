import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { containerSecretEnvNames, findPlainSecretEnv, isObviousPlaceholder, looksSecret } from "../../policies/secret-env";
import { UNKNOWN_ARRAY, UNKNOWN_STRING, callDirectly, find, localGraph, messages, productionGraph, setProps } from "./fixtures";

const webOf = (graph = productionGraph()) => {
  const web = find(graph, "docstown-web");
  return { urn: web.urn, type: web.type, props: web.props, secretPaths: web.secretPaths ?? [] };
};

describe("looksSecret", () => {
  test("names", () => {
    for (const name of [
      "RAILS_MASTER_KEY", "SECRET_KEY_BASE", "GITHUB_TOKEN", "GITHUB_CLIENT_SECRET", "SMTP_PASSWORD", "SENTRY_DSN",
      "DATABASE_URL", "QUEUE_DATABASE_URL", "anthropic_api_key",
    ]) {
      assert.equal(looksSecret(name), true, name);
    }
    for (const name of ["RAILS_ENV", "GITHUB_CLIENT_ID", "JOB_CONCURRENCY", "SMTP_USERNAME", "DATABASE_HOST"]) assert.equal(looksSecret(name), false, name);
  });
});

describe("findPlainSecretEnv (offline synth only)", () => {
  test("every secret-looking env var recorded as secret: nothing", () => {
    assert.deepEqual(findPlainSecretEnv(webOf()), []);
  });

  test("a plain one is named, its value never echoed", () => {
    const resource = { ...webOf(), secretPaths: ["envs[1]", "envs[3]"] };
    const found = findPlainSecretEnv(resource);
    assert.deepEqual(found, [
      'container "docstown-web" env DATABASE_URL (envs[2]) is not a Pulumi secret; read it with config.requireSecret so it is encrypted in the state',
    ]);
    assert.ok(!found[0]?.includes("AVNS_"));
  });

  test("no secret paths at all", () => {
    assert.deepEqual(findPlainSecretEnv({ ...webOf(), secretPaths: [] }), [
      'container "docstown-web" env RAILS_MASTER_KEY (envs[1]) is not a Pulumi secret; read it with config.requireSecret so it is encrypted in the state',
      'container "docstown-web" env DATABASE_URL (envs[2]) is not a Pulumi secret; read it with config.requireSecret so it is encrypted in the state',
      'container "docstown-web" env SENTRY_DSN (envs[3]) is not a Pulumi secret; read it with config.requireSecret so it is encrypted in the state',
    ]);
  });

  test("the whole array secret (`envs`), everything secret (`$`), or the dotted index form", () => {
    assert.deepEqual(findPlainSecretEnv({ ...webOf(), secretPaths: ["envs"] }), []);
    assert.deepEqual(findPlainSecretEnv({ ...webOf(), secretPaths: ["$"] }), []);
    assert.deepEqual(findPlainSecretEnv({ ...webOf(), secretPaths: ["envs.1", "envs.2", "envs.3"] }), []);
  });

  test("empty values, non-secret names, unknown entries and other types are ignored", () => {
    const base = webOf();
    const props = { ...base.props, envs: ["SENTRY_DSN=", "RAILS_ENV=production", UNKNOWN_STRING, 42] };
    assert.deepEqual(findPlainSecretEnv({ ...base, props, secretPaths: [] }), []);
    assert.deepEqual(findPlainSecretEnv({ ...base, props: { envs: UNKNOWN_ARRAY }, secretPaths: [] }), []);
    const droplet = find(productionGraph(), "docstown-server-droplet");
    assert.deepEqual(findPlainSecretEnv({ urn: droplet.urn, type: droplet.type, props: { envs: ["API_KEY=plain"] }, secretPaths: [] }), []);
  });
});

describe("container-secret-env-names (advisory, in the pack)", () => {
  test("compliant graphs pass", async () => {
    assert.deepEqual(await messages(containerSecretEnvNames, productionGraph()), []);
    assert.deepEqual(await messages(containerSecretEnvNames, localGraph()), []);
  });

  test("placeholders", () => {
    assert.equal(isObviousPlaceholder("RAILS_MASTER_KEY", "changeme"), true);
    assert.equal(isObviousPlaceholder("SMTP_PASSWORD", "secret"), true);
    assert.equal(isObviousPlaceholder("GITHUB_TOKEN", "${GITHUB_TOKEN}"), true);
    assert.equal(isObviousPlaceholder("GITHUB_TOKEN", "<github token here>"), true);
    assert.equal(isObviousPlaceholder("DATABASE_URL", "postgres://docstown:password@db:5432/docstown"), true);
    assert.equal(isObviousPlaceholder("DATABASE_URL", "postgres://docstown:Qm7xV2pL9sK4tR8w@db:5432/docstown"), false);
    assert.equal(isObviousPlaceholder("RAILS_MASTER_KEY", "5f0c9e3b7a1d4e2f8c6b0a9d3e7f1c2b"), false);
  });

  test("placeholder and too-short literals are reported without their values", async () => {
    const graph = setProps(productionGraph(), "docstown-web", {
      envs: ["RAILS_ENV=production", "RAILS_MASTER_KEY=changeme", "SMTP_PASSWORD=hunter2", "DATABASE_URL=postgres://app:password@db/app", "SECRET_KEY_BASE="],
    });
    const found = await messages(containerSecretEnvNames, graph);
    assert.deepEqual(found, [
      'container "docstown-web" env RAILS_MASTER_KEY (envs[1]) holds a placeholder or too-short literal; read the real value with config.requireSecret',
      'container "docstown-web" env SMTP_PASSWORD (envs[2]) holds a placeholder or too-short literal; read the real value with config.requireSecret',
      'container "docstown-web" env DATABASE_URL (envs[3]) holds a placeholder or too-short literal; read the real value with config.requireSecret',
    ]);
    assert.ok(found.every((m) => !m.includes("hunter2") && !m.includes("changeme")));
  });

  test("the documented limitation: a real-looking credential in plain text passes in the pack", async () => {
    const graph = setProps(productionGraph(), "docstown-web", { envs: ["GITHUB_TOKEN=ghp_3b1f0e9c2d7a4b5e8f6c1a0d9e2b7c4f0a1b"] });
    assert.deepEqual(await messages(containerSecretEnvNames, graph), []);
  });

  test("unknown envs are skipped", async () => {
    assert.deepEqual(await messages(containerSecretEnvNames, setProps(productionGraph(), "docstown-web", { envs: UNKNOWN_ARRAY })), []);
    assert.deepEqual(await messages(containerSecretEnvNames, setProps(productionGraph(), "docstown-web", { envs: [UNKNOWN_STRING] })), []);
  });

  test("other resource types are not applicable", async () => {
    const result = await callDirectly(containerSecretEnvNames, find(productionGraph(), "docstown-server-droplet"));
    assert.equal(result.notApplicable, "Policy only applies to resources of type 'docker:index/container:Container'");
  });
});
