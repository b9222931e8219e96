import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { resolve } from "node:path";
import { SECRET_KEYS } from "../../src/config/secrets";
import { validateConfig } from "../../src/config/validate";
import { readStackFile } from "../../src/synth/stack-file";
import { PROJECT_DIR } from "../harness";
import { KEYS, TRUNCATED_EXAMPLE, body, keyData } from "./ssh-keys";

const production = readStackFile(resolve(PROJECT_DIR, "Pulumi.production.yaml"), true).config;
const local = readStackFile(resolve(PROJECT_DIR, "Pulumi.local.yaml"), true).config;
const ALL_SECRETS = new Set<string>(SECRET_KEYS);

function objectKey(base: Record<string, string>, key: string): Record<string, unknown> {
  return JSON.parse(base[`docstown:${key}`] ?? "{}") as Record<string, unknown>;
}

/** The committed production config with one top-level key replaced. */
function withKey(key: string, value: unknown, base = production): Record<string, string> {
  return { ...base, [`docstown:${key}`]: typeof value === "string" ? value : JSON.stringify(value) };
}

/** The committed production config with other operator keys. */
function withKeys(sshPublicKeys: string[]): Record<string, string> {
  return withKey("operators", { ...objectKey(production, "operators"), sshPublicKeys });
}

function errorsOf(raw: Record<string, string>, secrets: ReadonlySet<string> = ALL_SECRETS): string[] {
  const result = validateConfig(raw, secrets);
  return result.ok ? [] : result.errors;
}

describe("the committed stack configs", () => {
  test("production and local validate", () => {
    assert.deepEqual(errorsOf(production), []);
    assert.deepEqual(errorsOf(local), []);
  });
});

describe("one bad value, one line naming its key", () => {
  const cases: [string, Record<string, string>, string][] = [
    ["unknown region slug", withKey("region", "mars1"), "docstown:region: must be one of nyc1, nyc3, sfo2, sfo3, ams3, sgp1, lon1, fra1, tor1, blr1, syd1, atl1"],
    ["volume under 10 GB", withKey("volume", { ...objectKey(production, "volume"), sizeGb: 5 }), "docstown:volume.sizeGb: must be at least 10"],
    ["malformed domain", withKey("domain", "docstown"), "docstown:domain: must be a domain name such as docstown.org"],
    ["invalid CIDR", withKey("operators", { ...objectKey(production, "operators"), sshCidrs: ["10.0.0.0/33"] }), "docstown:operators.sshCidrs[0]: must be an IPv4 or IPv6 network in CIDR notation, e.g. 203.0.113.7/32 (the prefix length 33 is longer than 32 bits)"],
    ["world-open SSH", withKey("operators", { ...objectKey(production, "operators"), sshCidrs: ["0.0.0.0/0"] }), "docstown:operators.sshCidrs[0]: must not open access to the whole internet (0.0.0.0/0 or ::/0)"],
    ["world-open database (IPv6)", withKey("operators", { ...objectKey(production, "operators"), databaseCidrs: ["::/0"] }), "docstown:operators.databaseCidrs[0]: must not open access to the whole internet (0.0.0.0/0 or ::/0)"],
    ["unknown email provider", withKey("email", { ...objectKey(production, "email"), provider: "mailgun" }), "docstown:email.provider: must be one of postmark, ses, sendgrid"],
    ["wrong type", withKey("droplet", { ...objectKey(production, "droplet"), swapGb: "two" }), 'docstown:droplet.swapGb: must be a number, got string "two"'],
    ["IPv6 on the droplet", withKey("droplet", { ...objectKey(production, "droplet"), ipv6: true }), "docstown:droplet.ipv6: IPv6 is not served end to end: the proxy's ports bind IPv4 only (binding :: replaces it on every up, kreuzwerker #909), so an AAAA record would send Cloudflare to an address nothing answers on; leave it false"],
    ["typo in a nested key", withKey("volume", { ...objectKey(production, "volume"), sizeGB: 50 }), "docstown:volume.sizeGB: unknown key"],
    ["typo in a top-level key", withKey("volumes", { sizeGb: 50 }), "docstown:volumes: unknown key"],
    ["relative mount path", withKey("volume", { ...objectKey(production, "volume"), mountPath: "data/repos" }), "docstown:volume.mountPath: must be an absolute path such as /data/repos"],
    ["no operator key", withKey("operators", { ...objectKey(production, "operators"), sshPublicKeys: [] }), "docstown:operators.sshPublicKeys: needs at least one key"],
    ["malformed public key", withKey("operators", { ...objectKey(production, "operators"), sshPublicKeys: ["AAAA not a key"] }), "docstown:operators.sshPublicKeys[0]: must be an OpenSSH public key line (ssh-ed25519 AAAA… comment)"],
    ["the old committed example key", withKeys([TRUNCATED_EXAMPLE]), "docstown:operators.sshPublicKeys[0]: the key data is not valid base64: 62 characters, not a multiple of 4 (copied only in part?)"],
    ["truncated key data", withKeys([`ssh-ed25519 ${keyData("ssh-ed25519").concat("AAAAIA==")}`]), "docstown:operators.sshPublicKeys[0]: the key data is truncated: a ssh-ed25519 key holds its type and a 32-byte key"],
    ["key data of another type than the line says", withKeys([KEYS.ed25519, `ssh-rsa ${body(KEYS.ed25519)} x`]), "docstown:operators.sshPublicKeys[1]: the key data is a ssh-ed25519 key, but the line says ssh-rsa"],
    ["ed25519 key of 31 bytes", withKeys([`ssh-ed25519 ${keyData("ssh-ed25519", Buffer.alloc(31, 7))}`]), "docstown:operators.sshPublicKeys[0]: a ssh-ed25519 key is 32 bytes, this one 31"],
    ["RSA key under 2048 bits", withKeys([KEYS.rsa1024]), "docstown:operators.sshPublicKeys[0]: a ssh-rsa key needs a modulus of at least 2048 bits, this one has 1024"],
    ["key data that is not base64", withKeys(["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI*** x"]), "docstown:operators.sshPublicKeys[0]: must be an OpenSSH public key line (ssh-ed25519 AAAA… comment)"],
    ["badly padded base64", withKeys(["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB== x"]), "docstown:operators.sshPublicKeys[0]: the key data is not valid base64"],
    ["ECDSA key naming another curve", withKeys([`ecdsa-sha2-nistp256 ${keyData("ecdsa-sha2-nistp256", "nistp384", Buffer.alloc(65, 4))}`]), "docstown:operators.sshPublicKeys[0]: the key data names curve nistp384, but a ecdsa-sha2-nistp256 key is on nistp256"],
    ["security-key type", withKeys([`sk-ssh-ed25519@openssh.com ${keyData("sk-ssh-ed25519@openssh.com", Buffer.alloc(32, 9), "ssh:")}`]), "docstown:operators.sshPublicKeys[0]: sk-ssh-ed25519@openssh.com keys are not accepted: DigitalOcean's SSH key API takes ssh-ed25519, ecdsa-sha2-nistp256/384/521 and ssh-rsa"],
    ["image with a tag in the repository", withKey("app", { ...objectKey(production, "app"), image: "ghcr.io/docstown/docstown:latest" }), "docstown:app.image: must be an image repository without tag or digest, e.g. ghcr.io/docstown/docstown"],
    ["short digest", withKey("app", { ...objectKey(production, "app"), digest: "sha256:abc" }), "docstown:app.digest: must be sha256: followed by 64 hex digits"],
    ["unknown target", withKey("target", "aws"), "docstown:target: must be digitalocean or local"],
    ["database version", withKey("database", { ...objectKey(production, "database"), version: "9" }), "docstown:database.version: must be one of 14, 15, 16, 17"],
    ["maintenance hour", withKey("database", { ...objectKey(production, "database"), maintenance: { day: "sunday", hour: "25:00" } }), "docstown:database.maintenance.hour: must be HH:MM:SS (UTC)"],
    ["HSTS shorter than six months", withKey("cloudflare", { hstsMaxAgeSeconds: 3600 }), "docstown:cloudflare.hstsMaxAgeSeconds: must be at least 15552000 (six months)"],
    ["no alert recipient", withKey("monitoring", { alertEmails: [] }), "docstown:monitoring.alertEmails: needs at least one address"],
    ["bad alert recipient", withKey("monitoring", { alertEmails: ["ops at docstown"] }), "docstown:monitoring.alertEmails[0]: must be an email address"],
    ["secret-looking plain env", withKey("app", { ...objectKey(production, "app"), extraEnv: { STRIPE_SECRET_KEY: "sk_live" } }), "docstown:app.extraEnv.STRIPE_SECRET_KEY: looks like a secret; secrets are set with pulumi config set --secret, never as plain values"],
    ["mailer outside the domain", withKey("email", { ...objectKey(production, "email"), mailerFrom: "ops@example.com" }), "docstown:email.mailerFrom: must be an address at docstown.org or a subdomain of it (got example.com)"],
    ["missing required key", Object.fromEntries(Object.entries(production).filter(([k]) => k !== "docstown:monitoring")), "docstown:monitoring: is required"],
    ["missing target", Object.fromEntries(Object.entries(production).filter(([k]) => k !== "docstown:target")), "docstown:target: is required (digitalocean or local)"],
  ];
  for (const [title, raw, expected] of cases) {
    test(title, () => assert.deepEqual(errorsOf(raw), [expected]));
  }
});

describe("secrets", () => {
  test("every missing required secret is named with the command that sets it", () => {
    const errors = errorsOf(production, new Set(["railsMasterKey"]));
    assert.ok(errors.includes("docstown:sentryDsn: missing secret; set it with: pulumi config set --secret docstown:sentryDsn <value>"));
    assert.ok(!errors.some((e) => e.startsWith("docstown:railsMasterKey")));
    assert.ok(!errors.some((e) => e.startsWith("docstown:slackWebhookUrl")), "optional secrets are not required");
  });

  test("the local stack needs only the Rails master key", () => {
    assert.deepEqual(errorsOf(local, new Set()), [
      "docstown:railsMasterKey: missing secret; set it with: pulumi config set --secret docstown:railsMasterKey <value>",
    ]);
  });

  test("a private registry requires its password", () => {
    const raw = withKey("app", { ...objectKey(local, "app"), registry: { server: "ghcr.io", username: "bot" } }, local);
    assert.deepEqual(errorsOf(raw, new Set(["railsMasterKey"])), [
      "docstown:registryPassword: missing secret; set it with: pulumi config set --secret docstown:registryPassword <value>",
    ]);
  });

  test("missing secrets are reported together with other problems", () => {
    const errors = errorsOf(withKey("region", "mars1"), new Set());
    assert.ok(errors.some((e) => e.startsWith("docstown:region:")));
    assert.ok(errors.some((e) => e.startsWith("docstown:railsMasterKey: missing secret")));
  });

  test("secret values in the raw config are never parsed as plain settings", () => {
    assert.deepEqual(errorsOf({ ...production, "docstown:sentryDsn": "https://k@sentry.io/1" }), []);
  });
});

test("all problems are reported at once", () => {
  const raw = { ...withKey("region", "mars1"), "docstown:volume": JSON.stringify({ sizeGb: 1 }), "docstown:domain": "x" };
  assert.deepEqual(errorsOf(raw), [
    "docstown:domain: must be a domain name such as docstown.org",
    "docstown:region: must be one of nyc1, nyc3, sfo2, sfo3, ams3, sgp1, lon1, fra1, tor1, blr1, syd1, atl1",
    "docstown:volume.sizeGb: must be at least 10",
  ]);
});
