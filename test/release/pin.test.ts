// The release dispatch -> pull request pin: the committed production stack file gets exactly one
// change (docstown:app.digest), still valid config; a malformed digest, another image, or the
// digest already pinned changes nothing and says why.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import { SECRET_KEYS } from "../../src/config/secrets";
import { validateConfig } from "../../src/config/validate";
import { main } from "../../src/release/cli";
import { pinRelease, releaseBranch } from "../../src/release/pin";
import { readStackFile } from "../../src/synth/stack-file";
const PROJECT_DIR = resolve(__dirname, "..", "..");

const STACK_FILE = resolve(PROJECT_DIR, "Pulumi.production.yaml");
const committed = readFileSync(STACK_FILE, "utf8");
const IMAGE = "ghcr.io/docstown/docstown";
const DIGEST = `sha256:${"ab12".repeat(16)}`;
const OTHER = `sha256:${"cd34".repeat(16)}`;

function run(env: Record<string, string>, stackText: string = committed, extraArgs: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), "docstown-release-"));
  try {
    const file = join(dir, "Pulumi.production.yaml");
    const body = join(dir, "body.md");
    writeFileSync(file, stackText);
    let out = "";
    let err = "";
    const code = main(["pin", "--stack-file", file, "--body-file", body, ...extraArgs], env, { out: (t) => (out += t), err: (t) => (err += t) });
    const after = readFileSync(file, "utf8");
    let bodyText: string | undefined;
    try {
      bodyText = readFileSync(body, "utf8");
    } catch {
      bodyText = undefined;
    }
    return { code, out, err, after, body: bodyText, file };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("release pin", () => {
  test("pins the digest in the committed stack file: one added line, comments kept, still valid config", () => {
    const r = run({ RELEASE_IMAGE: IMAGE, RELEASE_DIGEST: DIGEST, GITHUB_RUN_ID: "77", GITHUB_REPOSITORY: "docstown/docstown-infra" });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `changed=true\nbranch=${releaseBranch(DIGEST)}\ntitle=Deploy ${IMAGE}@${DIGEST.slice(0, 19)}\ndigest=${DIGEST}\n`);
    const before = committed.split("\n");
    const now = r.after.split("\n");
    const added = now.filter((line) => !before.includes(line));
    assert.deepEqual(added, [`    digest: ${DIGEST}`]);
    assert.equal(now.length, before.length + 1, "lines other than the pin were added or removed");
    assert.match(r.body ?? "", /actions\/runs\/77/);
    // As the program reads it: the pinned file is valid and carries the digest.
    const dir = mkdtempSync(join(tmpdir(), "docstown-release-read-"));
    try {
      writeFileSync(join(dir, "Pulumi.production.yaml"), r.after);
      const config = readStackFile(join(dir, "Pulumi.production.yaml"), true).config;
      assert.equal((JSON.parse(config["docstown:app"]!) as { digest?: string }).digest, DIGEST);
      const result = validateConfig(config, new Set(SECRET_KEYS));
      assert.ok(result.ok, result.ok ? "" : result.errors.join("\n"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a newer release replaces a pinned digest; the same one again is no change and no error", () => {
    const first = pinRelease(committed, { image: IMAGE, digest: DIGEST });
    assert.equal(first.kind, "pinned");
    const pinned = first.kind === "pinned" ? first.text : "";
    const second = pinRelease(pinned, { image: IMAGE, digest: OTHER });
    assert.equal(second.kind, "pinned");
    if (second.kind === "pinned") {
      assert.equal(second.previous, DIGEST);
      assert.ok(!second.text.includes(DIGEST) && second.text.includes(OTHER));
    }
    const again = run({ RELEASE_IMAGE: IMAGE, RELEASE_DIGEST: DIGEST }, pinned);
    assert.equal(again.code, 0);
    assert.equal(again.out, "changed=false\n");
    assert.match(again.err, /already/);
    assert.equal(again.after, pinned);
  });

  test("malformed digests are refused with exit 1 and the file untouched", () => {
    for (const digest of ["", "latest", `sha256:${"AB12".repeat(16)}`, `sha256:${"ab".repeat(31)}`, `${DIGEST}\nx: y`, `sha512:${"ab".repeat(64)}`]) {
      const r = run({ RELEASE_IMAGE: IMAGE, RELEASE_DIGEST: digest, GITHUB_ACTIONS: "true" });
      assert.equal(r.code, 1, `accepted digest ${JSON.stringify(digest)}`);
      assert.match(r.err, /^::error::release: the dispatch's digest/);
      assert.equal(r.after, committed);
      assert.equal(r.out, "");
    }
  });

  test("another image than app.image is refused, whatever its digest", () => {
    for (const image of ["ghcr.io/attacker/docstown", "ghcr.io/docstown/docstown:latest", ""]) {
      const r = run({ RELEASE_IMAGE: image, RELEASE_DIGEST: DIGEST });
      assert.equal(r.code, 1, `accepted image ${image}`);
      assert.match(r.err, /image|names no image/);
      assert.equal(r.after, committed);
    }
  });

  test("bad usage exits 2", () => {
    let err = "";
    assert.equal(main(["deploy"], {}, { out: () => {}, err: (t) => (err += t) }), 2);
    assert.match(err, /usage/);
  });
});
