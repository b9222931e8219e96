import { createHash } from "node:crypto";
import { lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The cluster's CA certificate as a file for the `postgresql` provider. The provider (lib/pq)
 * takes `sslrootcert` as a path, not as PEM text, and the provider runs on whatever machine runs
 * `pulumi up` (a laptop, CI). So the program writes the PEM it reads from DigitalOcean
 * (`getDatabaseCa`) to a file at run time, before the provider is configured with its path.
 *
 * The path is part of the provider's configuration, which Pulumi stores and diffs: a random temp
 * name would show the provider as changed on every preview (and fail the drift check). So the name
 * is derived from the certificate's content, in a directory that is the same on every Unix
 * machine (`/tmp`): the same CA gives the same path everywhere, a rotated CA a new one.
 *
 * Only a run of the program writes the file, and `pulumi refresh` and `pulumi up --refresh`
 * configure the provider from the state without running it: on a machine where no run wrote the
 * file (a new CI runner, a cleared /tmp) their grant reads fail to open it. The postgresql provider
 * cannot take the PEM itself: it passes `sslrootcert` to lib/pq as a path
 * (terraform-provider-postgresql, postgresql/config.go `connParams`), and lib/pq reads it as PEM
 * only with `sslinline`, which the provider sets only inside a `clientcert` block, i.e. with a
 * client certificate and key (lib/pq v1.12.3, ssl.go). So every refresh runs the program:
 * `--run-program` (README, "Refreshing"), and the file name says so, because the provider's error
 * prints it: `open /tmp/docstown-database-ca-<hash>.written-by-the-program.refresh-needs--run-program.crt:
 * no such file or directory`.
 *
 * A predictable name in a shared directory could be planted by another local user with a CA of
 * their own; the file is therefore only trusted when it is a regular file of ours, not writable by
 * others, holding exactly this PEM, and is otherwise replaced or refused.
 */

/** Where CA files go: `/tmp` on Unix (stable across machines), the OS temp dir elsewhere. */
export function caDirectory(): string {
  return process.platform === "win32" ? tmpdir() : "/tmp";
}

/** What a refresh without the program needs, in the file name the provider's error shows. */
export const CA_FILE_HINT = "written-by-the-program.refresh-needs--run-program";

/** `<dir>/docstown-database-ca-<first 16 hex of sha256(pem)>.<CA_FILE_HINT>.crt`. */
export function caFilePath(pem: string, dir: string = caDirectory()): string {
  if (!/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(pem)) {
    throw new Error("the database CA is not a PEM certificate");
  }
  const digest = createHash("sha256").update(pem).digest("hex").slice(0, 16);
  return join(dir, `docstown-database-ca-${digest}.${CA_FILE_HINT}.crt`);
}

/**
 * Writes the PEM to its content-addressed path (atomically: a private temp name, then a rename
 * over it) unless a trustworthy copy is already there, and returns the path.
 */
export function writeCaFile(pem: string, dir: string = caDirectory()): string {
  const path = caFilePath(pem, dir);
  mkdirSync(dir, { recursive: true });
  let existing: ReturnType<typeof lstatSync> | undefined;
  try {
    existing = lstatSync(path);
  } catch {
    existing = undefined;
  }
  if (existing !== undefined) {
    const uid = process.getuid?.();
    if (!existing.isFile()) throw new Error(`${path} exists and is not a regular file; remove it and run again`);
    if (uid !== undefined && existing.uid !== uid) throw new Error(`${path} belongs to another user (uid ${existing.uid}); remove it and run again`);
    if ((existing.mode & 0o022) === 0 && readFileSync(path, "utf8") === pem) return path;
  }
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temp, pem, { mode: 0o644, flag: "wx" });
  renameSync(temp, path);
  return path;
}
