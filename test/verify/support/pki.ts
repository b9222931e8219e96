import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface KeyPair {
  cert: string;
  key: string;
}

export interface TestPki {
  caFile: string;
  caPem: string;
  /** Valid for 90 days from now. */
  fresh: KeyPair;
  /** Validity window entirely in the past (2020): really expired, not faked. */
  expired: KeyPair;
  /** Valid, but only for 5 more days. */
  expiringSoon: KeyPair;
  /** Valid and fresh, but for another name. */
  otherHost: KeyPair;
}

const openssl = (cwd: string, ...args: string[]) => execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });

// `openssl ca` is the OpenSSL 3.0 tool that can set an arbitrary validity window
// (-startdate/-enddate); `x509 -not_before` only arrived in 3.4.
const CA_CONFIG = `
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = .
database = ./index.txt
new_certs_dir = ./issued
serial = ./serial
default_md = sha256
policy = any_name
unique_subject = no
[ any_name ]
commonName = supplied
[ leaf ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:$ENV::LEAF_NAME
`;

const asn1Time = (date: Date) => `${date.toISOString().replace(/[-:T]/g, "").slice(0, 14)}Z`;

/** A test CA and leaf certificates for `domain`, made with the openssl CLI in `dir`. */
export function makeTestPki(dir: string, domain: string): TestPki {
  mkdirSync(join(dir, "issued"), { recursive: true });
  writeFileSync(join(dir, "ca.cnf"), CA_CONFIG);
  writeFileSync(join(dir, "index.txt"), "");
  writeFileSync(join(dir, "serial"), "1000\n");
  openssl(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ca.key");
  openssl(dir, "req", "-x509", "-new", "-key", "ca.key", "-days", "3650", "-subj", "/CN=DocsTown Test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "ca.crt");

  const issue = (name: string, host: string, start: Date, end: Date): KeyPair => {
    openssl(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`);
    openssl(dir, "req", "-new", "-key", `${name}.key`, "-subj", `/CN=${host}`, "-out", `${name}.csr`);
    execFileSync("openssl", ["ca", "-batch", "-config", "ca.cnf", "-cert", "ca.crt", "-keyfile", "ca.key", "-extensions", "leaf",
      "-startdate", asn1Time(start), "-enddate", asn1Time(end), "-notext", "-in", `${name}.csr`, "-out", `${name}.crt`],
      { cwd: dir, env: { ...process.env, LEAF_NAME: host }, stdio: ["ignore", "pipe", "pipe"] });
    return { cert: readFileSync(join(dir, `${name}.crt`), "utf8"), key: readFileSync(join(dir, `${name}.key`), "utf8") };
  };

  const now = Date.now();
  const day = 86_400_000;
  const caPem = readFileSync(join(dir, "ca.crt"), "utf8");
  return {
    caFile: join(dir, "ca.crt"),
    caPem,
    fresh: issue("fresh", domain, new Date(now - day), new Date(now + 90 * day)),
    expired: issue("expired", domain, new Date("2020-01-01T00:00:00Z"), new Date("2020-02-01T00:00:00Z")),
    expiringSoon: issue("soon", domain, new Date(now - day), new Date(now + 5 * day + 3_600_000)),
    otherHost: issue("other", `other.${domain}`, new Date(now - day), new Date(now + 90 * day)),
  };
}
