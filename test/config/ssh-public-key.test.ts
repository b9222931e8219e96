import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { parseSshPublicKey, sshPublicKeyProblem } from "../../src/config/ssh-public-key";
import { readStackFile } from "../../src/synth/stack-file";
import { PROJECT_DIR } from "../harness";
import { KEYS, TRUNCATED_EXAMPLE, body, keyData } from "./ssh-keys";

/** `ssh-keygen -l` on a key line: its bit count and type, as OpenSSH reads the key. */
function sshKeygenReads(line: string): { bits: number; type: string } | undefined {
  try {
    const out = execFileSync("ssh-keygen", ["-l", "-f", "-"], { input: `${line}\n`, stdio: ["pipe", "pipe", "pipe"] }).toString();
    const match = /^(\d+) \S+ .* \((\S+)\)\s*$/.exec(out.trim());
    return match ? { bits: Number(match[1]), type: String(match[2]) } : undefined;
  } catch {
    return undefined;
  }
}

const OPENSSH_TYPE: Record<string, string> = {
  "ssh-ed25519": "ED25519", "ssh-rsa": "RSA", "ecdsa-sha2-nistp256": "ECDSA", "ecdsa-sha2-nistp384": "ECDSA", "ecdsa-sha2-nistp521": "ECDSA",
};

const committedKeys = (): string[] => {
  const operators = JSON.parse(readStackFile(resolve(PROJECT_DIR, "Pulumi.production.yaml"), true).config["docstown:operators"] ?? "{}") as { sshPublicKeys: string[] };
  return operators.sshPublicKeys;
};

describe("OpenSSH public keys made by ssh-keygen", () => {
  for (const [name, line] of Object.entries(KEYS).filter(([n]) => n !== "rsa1024")) {
    it(`accepts ${name} and reads the size ssh-keygen reads`, () => {
      const parsed = parseSshPublicKey(line);
      assert.ok(parsed.ok, parsed.ok ? "" : parsed.problem);
      assert.deepEqual(sshKeygenReads(line), { bits: parsed.info.bits, type: OPENSSH_TYPE[parsed.info.type] });
    });
  }

  it("refuses the 1024-bit RSA key that ssh-keygen reads as 1024 bits", () => {
    assert.equal(sshKeygenReads(KEYS.rsa1024)?.bits, 1024);
    assert.equal(sshPublicKeyProblem(KEYS.rsa1024), "a ssh-rsa key needs a modulus of at least 2048 bits, this one has 1024");
  });
});

describe("the committed example key", () => {
  it("is a well-formed ed25519 key, marked as an example to replace", () => {
    const [line] = committedKeys();
    const parsed = parseSshPublicKey(line ?? "");
    assert.ok(parsed.ok, parsed.ok ? "" : parsed.problem);
    assert.deepEqual(parsed.info, { type: "ssh-ed25519", bits: 256, comment: "replace-me-example@docstown" });
    assert.deepEqual(sshKeygenReads(line ?? ""), { bits: 256, type: "ED25519" });
  });

  it("the one it replaced is refused, and ssh-keygen cannot read it either", () => {
    assert.match(sshPublicKeyProblem(TRUNCATED_EXAMPLE) ?? "", /not valid base64/);
    assert.equal(sshKeygenReads(TRUNCATED_EXAMPLE), undefined);
  });
});

describe("key data that does not hold what the line says", () => {
  const cases: [string, string, string][] = [
    ["trailing bytes after an ed25519 key", `ssh-ed25519 ${keyData("ssh-ed25519", Buffer.alloc(32, 1), "extra")}`, "the key data has 9 bytes after the ssh-ed25519 key"],
    ["ed25519 key of 33 bytes", `ssh-ed25519 ${keyData("ssh-ed25519", Buffer.alloc(33, 1))}`, "a ssh-ed25519 key is 32 bytes, this one 33"],
    ["compressed ECDSA point", `ecdsa-sha2-nistp256 ${keyData("ecdsa-sha2-nistp256", "nistp256", Buffer.concat([Buffer.from([2]), Buffer.alloc(32, 1)]))}`,
      "a ecdsa-sha2-nistp256 key is an uncompressed point of 65 bytes (0x04, x, y); this one has 33 bytes"],
    ["ECDSA point off the curve", `ecdsa-sha2-nistp256 ${keyData("ecdsa-sha2-nistp256", "nistp256", Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]))}`, "the key data is not a point on nistp256"],
    ["ECDSA key without its point", `ecdsa-sha2-nistp384 ${keyData("ecdsa-sha2-nistp384", "nistp384")}`, "the key data is truncated: a ecdsa-sha2-nistp384 key holds its type and its curve name and a point on nistp384"],
    ["RSA key without modulus", `ssh-rsa ${keyData("ssh-rsa", Buffer.from([1, 0, 1]))}`, "the key data is truncated: a ssh-rsa key holds its type and its exponent and modulus"],
    ["RSA modulus with a needless leading zero", `ssh-rsa ${keyData("ssh-rsa", Buffer.from([1, 0, 1]), Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(300, 1)]))}`,
      "the key data's exponent or modulus is not a positive, minimally encoded integer"],
    ["ECDSA data under an RSA line", `ssh-rsa ${body(KEYS.ecdsa256)}`, "the key data is a ecdsa-sha2-nistp256 key, but the line says ssh-rsa"],
    ["DSA", `ssh-dss ${keyData("ssh-dss", Buffer.alloc(8, 1))}`, "key type ssh-dss is not accepted; use ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa"],
    ["security-key ECDSA", `sk-ecdsa-sha2-nistp256@openssh.com ${keyData("sk-ecdsa-sha2-nistp256@openssh.com", "nistp256", Buffer.alloc(65, 4), "ssh:")}`,
      "sk-ecdsa-sha2-nistp256@openssh.com keys are not accepted: DigitalOcean's SSH key API takes ssh-ed25519, ecdsa-sha2-nistp256/384/521 and ssh-rsa"],
    ["authorized_keys options before the type", `restrict ${KEYS.ed25519}`, "must be an OpenSSH public key line (ssh-ed25519 AAAA… comment)"],
    ["a private key pasted by mistake", "-----BEGIN OPENSSH PRIVATE KEY-----", "must be an OpenSSH public key line (ssh-ed25519 AAAA… comment)"],
  ];
  for (const [title, line, problem] of cases) {
    it(title, () => assert.equal(sshPublicKeyProblem(line), problem));
  }

  it("keeps the comment, whatever it says", () => {
    const parsed = parseSshPublicKey(`ssh-ed25519 ${body(KEYS.ed25519)} ada lovelace (laptop)`);
    assert.ok(parsed.ok);
    assert.equal(parsed.info.comment, "ada lovelace (laptop)");
  });
});
