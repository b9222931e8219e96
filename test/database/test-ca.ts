import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A throwaway certificate authority made with openssl, and a server certificate it signs, the
 * way DigitalOcean serves a cluster: a private CA, a leaf naming the cluster's host names.
 */

export interface TestCa {
  readonly certificatePem: string;
  /** A server certificate and key (PEM) for `hostNames`, signed by this CA. */
  issueServer(hostNames: readonly string[]): { certificatePem: string; privateKeyPem: string };
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

export function opensslSkipReason(): string | undefined {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return undefined;
  } catch {
    return "no openssl binary (apt-get install openssl)";
  }
}

export function makeTestCa(commonName: string): TestCa {
  const dir = mkdtempSync(join(tmpdir(), "docstown-test-ca-"));
  try {
    openssl([
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", `/CN=${commonName}`,
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    ], dir);
    const caPem = readFileSync(join(dir, "ca.crt"), "utf8");
    const caKey = readFileSync(join(dir, "ca.key"), "utf8");
    return {
      certificatePem: caPem,
      issueServer(hostNames) {
        const work = mkdtempSync(join(tmpdir(), "docstown-test-leaf-"));
        try {
          writeFileSync(join(work, "ca.crt"), caPem);
          writeFileSync(join(work, "ca.key"), caKey, { mode: 0o600 });
          writeFileSync(join(work, "ext.cnf"), `subjectAltName=${hostNames.map((h) => `DNS:${h}`).join(",")}\nextendedKeyUsage=serverAuth\n`);
          openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", `/CN=${hostNames[0] ?? "server"}`], work);
          openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "ext.cnf"], work);
          return { certificatePem: readFileSync(join(work, "server.crt"), "utf8"), privateKeyPem: readFileSync(join(work, "server.key"), "utf8") };
        } finally {
          rmSync(work, { recursive: true, force: true });
        }
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
