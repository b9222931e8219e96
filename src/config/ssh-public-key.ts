import { createPublicKey, type JsonWebKey } from "node:crypto";

/**
 * OpenSSH public key lines (`<type> <base64 key data> [comment]`), checked by decoding the key
 * data the way sshd does (RFC 4253 6.6, RFC 5656 3.1, RFC 8709 4): a shape check alone let a
 * truncated example through, which DigitalOcean refuses only at `pulumi up`.
 *
 * Accepted: the types DigitalOcean's SSH key API takes that OpenSSH still enables, i.e. ssh-ed25519,
 * ecdsa-sha2-nistp256/384/521 and ssh-rsa (modulus of 2048 bits or more; OpenSSH refuses < 1024,
 * NIST retired < 2048). Security-key types (`sk-…@openssh.com`) are refused: the same keys become
 * the droplet's DigitalOcean SSH keys, and that API lists no sk- type. ssh-dss is refused too
 * (disabled by OpenSSH since 7.0).
 */

export const MIN_RSA_BITS = 2048;

const ECDSA_CURVES = {
  "ecdsa-sha2-nistp256": { curve: "nistp256", jwk: "P-256", coordinateBytes: 32 },
  "ecdsa-sha2-nistp384": { curve: "nistp384", jwk: "P-384", coordinateBytes: 48 },
  "ecdsa-sha2-nistp521": { curve: "nistp521", jwk: "P-521", coordinateBytes: 66 },
} as const;
type EcdsaType = keyof typeof ECDSA_CURVES;

export const SSH_KEY_TYPES = ["ssh-ed25519", ...Object.keys(ECDSA_CURVES), "ssh-rsa"] as readonly string[];

/** Key type names are lower case with a dash (`ssh-rsa`, `sk-ecdsa-sha2-nistp256@openssh.com`). */
const LINE = /^([a-z0-9]+-[a-z0-9@.-]+) ([A-Za-z0-9+/]+={0,2})(?: (.*))?$/;

export const SHAPE_PROBLEM = "must be an OpenSSH public key line (ssh-ed25519 AAAA… comment)";

/** What a well-formed key holds (for messages and tests). */
export interface SshPublicKeyInfo {
  readonly type: string;
  /** Key size in bits: 256 for ed25519, the curve for ECDSA, the modulus for RSA. */
  readonly bits: number;
  readonly comment: string;
}

class Reader {
  private at = 0;
  constructor(private readonly data: Buffer) {}

  /** The next SSH `string`, or undefined when the data ends before it does. */
  string(): Buffer | undefined {
    if (this.at + 4 > this.data.length) return undefined;
    const length = this.data.readUInt32BE(this.at);
    if (this.at + 4 + length > this.data.length) return undefined;
    const value = this.data.subarray(this.at + 4, this.at + 4 + length);
    this.at += 4 + length;
    return value;
  }

  get remaining(): number {
    return this.data.length - this.at;
  }
}

const b64url = (bytes: Buffer): string => bytes.toString("base64url");

/** Does OpenSSL take this key? Catches points off the curve and RSA values that are no key. */
function opensslAccepts(jwk: JsonWebKey): boolean {
  try {
    createPublicKey({ key: jwk, format: "jwk" });
    return true;
  } catch {
    return false;
  }
}

/** An `mpint` (RFC 4251 5) that must be positive and minimally encoded; its bit length. */
function positiveMpintBits(value: Buffer): number | undefined {
  if (value.length === 0 || (value[0] as number) & 0x80) return undefined;
  if (value[0] === 0 && (value.length === 1 || !((value[1] as number) & 0x80))) return undefined;
  const digits = value[0] === 0 ? value.subarray(1) : value;
  return (digits.length - 1) * 8 + (digits[0] as number).toString(2).length;
}

type Parsed = { ok: true; info: SshPublicKeyInfo } | { ok: false; problem: string };

function truncated(type: string, holds: string): Parsed {
  return { ok: false, problem: `the key data is truncated: a ${type} key holds its type and ${holds}` };
}

function fail(problem: string): Parsed {
  return { ok: false, problem };
}

function parseEd25519(reader: Reader, comment: string): Parsed {
  const key = reader.string();
  if (key === undefined) return truncated("ssh-ed25519", "a 32-byte key");
  if (key.length !== 32) return fail(`a ssh-ed25519 key is 32 bytes, this one ${key.length}`);
  return { ok: true, info: { type: "ssh-ed25519", bits: 256, comment } };
}

function parseEcdsa(type: EcdsaType, reader: Reader, comment: string): Parsed {
  const { curve, jwk, coordinateBytes } = ECDSA_CURVES[type];
  const named = reader.string();
  const point = reader.string();
  if (named === undefined || point === undefined) return truncated(type, `its curve name and a point on ${curve}`);
  if (named.toString("latin1") !== curve) return fail(`the key data names curve ${named.toString("latin1")}, but a ${type} key is on ${curve}`);
  const expected = 1 + 2 * coordinateBytes;
  if (point.length !== expected || point[0] !== 0x04) {
    return fail(`a ${type} key is an uncompressed point of ${expected} bytes (0x04, x, y); this one has ${point.length} bytes`);
  }
  const x = point.subarray(1, 1 + coordinateBytes);
  const y = point.subarray(1 + coordinateBytes);
  if (!opensslAccepts({ kty: "EC", crv: jwk, x: b64url(x), y: b64url(y) })) return fail(`the key data is not a point on ${curve}`);
  return { ok: true, info: { type, bits: Number(curve.slice(5)), comment } };
}

function parseRsa(reader: Reader, comment: string): Parsed {
  const e = reader.string();
  const n = reader.string();
  if (e === undefined || n === undefined) return truncated("ssh-rsa", "its exponent and modulus");
  const eBits = positiveMpintBits(e);
  const nBits = positiveMpintBits(n);
  if (eBits === undefined || nBits === undefined) return fail("the key data's exponent or modulus is not a positive, minimally encoded integer");
  if (nBits < MIN_RSA_BITS) return fail(`a ssh-rsa key needs a modulus of at least ${MIN_RSA_BITS} bits, this one has ${nBits}`);
  const digits = (v: Buffer) => (v[0] === 0 ? v.subarray(1) : v);
  if (!opensslAccepts({ kty: "RSA", n: b64url(digits(n)), e: b64url(digits(e)) })) return fail("the key data is not a usable RSA public key");
  return { ok: true, info: { type: "ssh-rsa", bits: nBits, comment } };
}

/** Decodes one key line; `problem` says what is wrong in words an operator can act on. */
export function parseSshPublicKey(line: string): Parsed {
  const match = LINE.exec(line.trim());
  if (match === null) return fail(SHAPE_PROBLEM);
  const [, type = "", data = "", comment = ""] = match;
  if (type.startsWith("sk-")) {
    return fail(`${type} keys are not accepted: DigitalOcean's SSH key API takes ssh-ed25519, ecdsa-sha2-nistp256/384/521 and ssh-rsa`);
  }
  if (!SSH_KEY_TYPES.includes(type)) return fail(`key type ${type} is not accepted; use ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa`);
  if (data.length % 4 !== 0) {
    return fail(`the key data is not valid base64: ${data.length} characters, not a multiple of 4 (copied only in part?)`);
  }
  const bytes = Buffer.from(data, "base64");
  // Node decodes leniently; only a string that encodes back to itself is base64 sshd would read.
  if (bytes.toString("base64") !== data) return fail("the key data is not valid base64");
  const reader = new Reader(bytes);
  const embedded = reader.string();
  if (embedded === undefined) return fail(`the key data is truncated: it does not even hold its type`);
  if (embedded.toString("latin1") !== type) return fail(`the key data is a ${embedded.toString("latin1")} key, but the line says ${type}`);
  const parsed =
    type === "ssh-ed25519" ? parseEd25519(reader, comment)
    : type === "ssh-rsa" ? parseRsa(reader, comment)
    : parseEcdsa(type as EcdsaType, reader, comment);
  if (parsed.ok && reader.remaining > 0) return fail(`the key data has ${reader.remaining} bytes after the ${type} key`);
  return parsed;
}

/** The problem with a key line, or undefined when it is a well-formed key DigitalOcean takes. */
export function sshPublicKeyProblem(line: string): string | undefined {
  const parsed = parseSshPublicKey(line);
  return parsed.ok ? undefined : parsed.problem;
}
