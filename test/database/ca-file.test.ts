import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { caFilePath, writeCaFile } from "../../src/database/ca-file";

const PEM_A = "-----BEGIN CERTIFICATE-----\nQUFBQQ==\n-----END CERTIFICATE-----\n";
const PEM_B = "-----BEGIN CERTIFICATE-----\nQkJCQg==\n-----END CERTIFICATE-----\n";

describe("the CA file the postgresql provider reads (sslrootcert takes a path)", () => {
  const dir = mkdtempSync(join(tmpdir(), "docstown-ca-file-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("the path follows the content: the same CA gives the same path (no provider diff), another CA another", () => {
    assert.equal(caFilePath(PEM_A, dir), caFilePath(PEM_A, dir));
    assert.notEqual(caFilePath(PEM_A, dir), caFilePath(PEM_B, dir));
    assert.match(caFilePath(PEM_A, "/tmp"), /^\/tmp\/docstown-database-ca-[0-9a-f]{16}\.written-by-the-program\.refresh-needs--run-program\.crt$/);
    assert.throws(() => caFilePath("not a certificate", dir), /not a PEM certificate/);
  });

  test("writes the PEM and returns its path; a second run keeps the file", () => {
    const path = writeCaFile(PEM_A, dir);
    assert.equal(path, caFilePath(PEM_A, dir));
    assert.equal(readFileSync(path, "utf8"), PEM_A);
    assert.equal(writeCaFile(PEM_A, dir), path);
  });

  test("a tampered or world-writable copy is replaced by the real PEM", () => {
    const path = caFilePath(PEM_B, dir);
    writeFileSync(path, PEM_A);
    assert.equal(readFileSync(writeCaFile(PEM_B, dir), "utf8"), PEM_B);
    chmodSync(path, 0o666);
    writeCaFile(PEM_B, dir);
    assert.equal(readFileSync(path, "utf8"), PEM_B);
  });

  test("refuses a symlink planted at the path", () => {
    const other = mkdtempSync(join(tmpdir(), "docstown-ca-plant-"));
    try {
      const pem = PEM_A.replace("QUFBQQ==", "Q0NDQw==");
      writeFileSync(join(other, "planted.crt"), PEM_B);
      symlinkSync(join(other, "planted.crt"), caFilePath(pem, dir));
      assert.throws(() => writeCaFile(pem, dir), /is not a regular file/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
